using HotZk.Common;

namespace HotZk.Protocol;

/// <summary>Encoding of <c>vector&lt;ustring&gt;</c> fields.</summary>
public static class JuteLists
{
    /// <summary>Writes a vector of strings; null is written as count -1.</summary>
    public static void WriteStrings(JuteWriter w, IReadOnlyList<string>? list)
    {
        if (list is null) { w.WriteInt(-1); return; }
        w.WriteInt(list.Count);
        for (int i = 0; i < list.Count; i++) w.WriteString(list[i]);
    }

    /// <summary>
    /// Reads a vector of strings. A null vector (-1) reads as empty, and so does a null element:
    /// no ZooKeeper message gives a different meaning to null there.
    /// </summary>
    public static string[] ReadStrings(ref JuteReader r)
    {
        int n = r.ReadVectorCount();
        if (n <= 0) return [];
        var list = new string[n];
        for (int i = 0; i < n; i++) list[i] = r.ReadStringNotNull();
        return list;
    }

    /// <summary>
    /// Reads a ustring that names a znode. A null path (-1) is malformed: Java servers fail such a
    /// request with MARSHALLINGERROR on the read paths, so decoding rejects it up front.
    /// </summary>
    public static string ReadPath(ref JuteReader r) => r.ReadString() ?? throw new JuteException("null path");
}
