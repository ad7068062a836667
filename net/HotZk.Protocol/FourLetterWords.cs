using System.Buffers;
using System.Buffers.Binary;

namespace HotZk.Protocol;

/// <summary>The admin commands a fresh connection may send instead of a ConnectRequest (§10).</summary>
public enum FourLetterCommand
{
    /// <summary>Not a four-letter word.</summary>
    None = 0,
    /// <summary><c>ruok</c>.</summary>
    Ruok,
    /// <summary><c>srvr</c>.</summary>
    Srvr,
    /// <summary><c>stat</c>.</summary>
    Stat,
    /// <summary><c>mntr</c>.</summary>
    Mntr,
    /// <summary><c>conf</c>.</summary>
    Conf,
    /// <summary><c>cons</c>.</summary>
    Cons,
    /// <summary><c>crst</c>.</summary>
    Crst,
    /// <summary><c>envi</c>.</summary>
    Envi,
    /// <summary><c>wchs</c>.</summary>
    Wchs,
    /// <summary><c>wchc</c>.</summary>
    Wchc,
    /// <summary><c>wchp</c>.</summary>
    Wchp,
    /// <summary><c>dump</c>.</summary>
    Dump,
    /// <summary><c>srst</c>.</summary>
    Srst,
    /// <summary><c>isro</c>.</summary>
    Isro,
    /// <summary><c>dirs</c>.</summary>
    Dirs,
    /// <summary><c>gtmk</c>.</summary>
    Gtmk,
    /// <summary><c>stmk</c> (followed by an 8-byte mask).</summary>
    Stmk,
    /// <summary><c>hash</c>.</summary>
    Hash,
    /// <summary>Telnet interrupt <c>0xFFF4FFFD</c>: the connection just ends.</summary>
    TelnetClose,
}

/// <summary>Recognises four-letter words in the first 4 bytes of a connection.</summary>
/// <remarks>
/// Their bytes read as a big-endian int are far above any sane frame limit, so they cannot be
/// mistaken for a frame length; a server checks for them only before the handshake.
/// </remarks>
public static class FourLetterWords
{
    private static readonly (int Code, FourLetterCommand Command, string Name)[] Table =
    [
        (Code("ruok"), FourLetterCommand.Ruok, "ruok"),
        (Code("srvr"), FourLetterCommand.Srvr, "srvr"),
        (Code("stat"), FourLetterCommand.Stat, "stat"),
        (Code("mntr"), FourLetterCommand.Mntr, "mntr"),
        (Code("conf"), FourLetterCommand.Conf, "conf"),
        (Code("cons"), FourLetterCommand.Cons, "cons"),
        (Code("crst"), FourLetterCommand.Crst, "crst"),
        (Code("envi"), FourLetterCommand.Envi, "envi"),
        (Code("wchs"), FourLetterCommand.Wchs, "wchs"),
        (Code("wchc"), FourLetterCommand.Wchc, "wchc"),
        (Code("wchp"), FourLetterCommand.Wchp, "wchp"),
        (Code("dump"), FourLetterCommand.Dump, "dump"),
        (Code("srst"), FourLetterCommand.Srst, "srst"),
        (Code("isro"), FourLetterCommand.Isro, "isro"),
        (Code("dirs"), FourLetterCommand.Dirs, "dirs"),
        (Code("gtmk"), FourLetterCommand.Gtmk, "gtmk"),
        (Code("stmk"), FourLetterCommand.Stmk, "stmk"),
        (Code("hash"), FourLetterCommand.Hash, "hash"),
        (unchecked((int)0xFFF4FFFD), FourLetterCommand.TelnetClose, "telnetclose"),
    ];

    /// <summary>Identifies the command spelled by the first 4 bytes, or <see cref="FourLetterCommand.None"/>.</summary>
    /// <param name="first4">At least 4 bytes; fewer yields None.</param>
    public static FourLetterCommand Detect(ReadOnlySpan<byte> first4)
    {
        if (first4.Length < 4) return FourLetterCommand.None;
        int code = BinaryPrimitives.ReadInt32BigEndian(first4);
        foreach (var entry in Table)
        {
            if (entry.Code == code) return entry.Command;
        }
        return FourLetterCommand.None;
    }

    /// <summary>Like <see cref="Detect(ReadOnlySpan{byte})"/> over a possibly segmented buffer.</summary>
    public static FourLetterCommand Detect(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 4) return FourLetterCommand.None;
        if (buffer.FirstSpan.Length >= 4) return Detect(buffer.FirstSpan);
        Span<byte> first = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(first);
        return Detect(first);
    }

    /// <summary>The command's wire name (e.g. "ruok"), used in whitelist checks and messages.</summary>
    public static string Name(FourLetterCommand command)
    {
        foreach (var entry in Table)
        {
            if (entry.Command == command) return entry.Name;
        }
        return string.Empty;
    }

    private static int Code(string word) =>
        (word[0] << 24) | (word[1] << 16) | (word[2] << 8) | word[3];
}
