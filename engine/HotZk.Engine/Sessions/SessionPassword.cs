namespace HotZk.Engine.Sessions;

/// <summary>
/// Derives a session password the way Apache ZooKeeper does (java.util.Random seeded with
/// <c>sessionId ^ 0xB3415C00</c>, 16 bytes), so sessions of an imported data dir stay valid.
/// </summary>
public static class SessionPassword
{
    private const long Multiplier = 0x5DEECE66DL;
    private const long Mask = (1L << 48) - 1;

    /// <summary>The password for <paramref name="sessionId"/>.</summary>
    public static byte[] Derive(long sessionId)
    {
        long seed = ((sessionId ^ 0xB3415C00L) ^ Multiplier) & Mask;
        var bytes = new byte[16];
        int i = 0;
        while (i < bytes.Length)
        {
            seed = ((seed * Multiplier) + 0xBL) & Mask;
            int rnd = (int)((ulong)seed >> 16);
            for (int n = Math.Min(bytes.Length - i, 4); n-- > 0; rnd >>= 8) bytes[i++] = (byte)rnd;
        }
        return bytes;
    }
}
