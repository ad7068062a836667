namespace HotZk.Common;

/// <summary>One ACL entry (jute <c>ACL</c>).</summary>
/// <param name="Perms">Permission bits.</param>
/// <param name="Id">Who they apply to.</param>
public readonly record struct Acl(Perms Perms, Id Id)
{
    /// <summary>world:anyone ALL — ZooDefs.Ids.OPEN_ACL_UNSAFE.</summary>
    public static readonly Acl[] OpenAclUnsafe = [new(Perms.All, Id.AnyoneIdUnsafe)];

    /// <summary>world:anyone READ — ZooDefs.Ids.READ_ACL_UNSAFE.</summary>
    public static readonly Acl[] ReadAclUnsafe = [new(Perms.Read, Id.AnyoneIdUnsafe)];

    /// <summary>auth ALL — ZooDefs.Ids.CREATOR_ALL_ACL.</summary>
    public static readonly Acl[] CreatorAllAcl = [new(Perms.All, Id.AuthIdsUnsafe)];

    /// <summary>Writes the record.</summary>
    public void Write(JuteWriter w)
    {
        w.WriteInt((int)Perms);
        Id.Write(w);
    }

    /// <summary>Reads the record.</summary>
    public static Acl Read(ref JuteReader r)
    {
        int perms = r.ReadInt();
        return new Acl((Perms)perms, Id.Read(ref r));
    }

    /// <summary>Writes a vector of ACLs (null as -1).</summary>
    public static void WriteList(JuteWriter w, IReadOnlyList<Acl>? acls)
    {
        if (acls is null) { w.WriteInt(-1); return; }
        w.WriteInt(acls.Count);
        for (int i = 0; i < acls.Count; i++) acls[i].Write(w);
    }

    /// <summary>Reads a vector of ACLs (null stays null).</summary>
    public static Acl[]? ReadList(ref JuteReader r)
    {
        int n = r.ReadVectorCount();
        if (n < 0) return null;
        var list = new Acl[n];
        for (int i = 0; i < n; i++) list[i] = Read(ref r);
        return list;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id}:{(int)Perms}";
}
