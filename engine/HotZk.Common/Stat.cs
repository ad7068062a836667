namespace HotZk.Common;

/// <summary>The client-visible node metadata (jute <c>Stat</c>, 68 bytes).</summary>
public readonly record struct Stat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid)
{
    /// <summary>Encoded size.</summary>
    public const int Size = 68;

    /// <summary>Writes the record.</summary>
    public void Write(JuteWriter w)
    {
        w.WriteLong(Czxid);
        w.WriteLong(Mzxid);
        w.WriteLong(Ctime);
        w.WriteLong(Mtime);
        w.WriteInt(Version);
        w.WriteInt(Cversion);
        w.WriteInt(Aversion);
        w.WriteLong(EphemeralOwner);
        w.WriteInt(DataLength);
        w.WriteInt(NumChildren);
        w.WriteLong(Pzxid);
    }

    /// <summary>Reads the record.</summary>
    public static Stat Read(ref JuteReader r) => new(
        r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(),
        r.ReadInt(), r.ReadInt(), r.ReadInt(), r.ReadLong(),
        r.ReadInt(), r.ReadInt(), r.ReadLong());
}
