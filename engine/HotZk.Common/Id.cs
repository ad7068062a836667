namespace HotZk.Common;

/// <summary>An authentication identity: scheme and id (jute <c>Id</c>).</summary>
/// <param name="Scheme">Scheme such as world, digest, ip, auth, super.</param>
/// <param name="Ident">The scheme-specific id.</param>
public readonly record struct Id(string Scheme, string Ident)
{
    /// <summary>world:anyone.</summary>
    public static readonly Id AnyoneIdUnsafe = new("world", "anyone");

    /// <summary>auth:"" — replaced by the caller's authenticated ids.</summary>
    public static readonly Id AuthIdsUnsafe = new("auth", "");

    /// <summary>Writes the record.</summary>
    public void Write(JuteWriter w)
    {
        w.WriteString(Scheme);
        w.WriteString(Ident);
    }

    /// <summary>Reads the record.</summary>
    public static Id Read(ref JuteReader r) => new(r.ReadStringNotNull(), r.ReadStringNotNull());

    /// <inheritdoc />
    public override string ToString() => $"{Scheme}:{Ident}";
}
