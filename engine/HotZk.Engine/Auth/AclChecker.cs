using HotZk.Common;

namespace HotZk.Engine.Auth;

/// <summary>ZooKeeper's permission check and ACL validation (zk-protocol.md §8).</summary>
public static class AclChecker
{
    /// <summary>True when <paramref name="auth"/> holds <paramref name="perm"/> on a node with <paramref name="acl"/>.</summary>
    public static bool Check(Acl[] acl, Perms perm, AuthInfo? auth, bool skipAcl)
    {
        if (skipAcl || auth is null) return true;
        if (auth.IsSuper) return true;
        if (acl.Length == 0) return true;
        foreach (var a in acl)
        {
            if ((a.Perms & perm) == 0) continue;
            var id = a.Id;
            if (id.Scheme == "world" && id.Ident == "anyone") return true;
            foreach (var mine in auth.Ids)
            {
                if (mine.Scheme != id.Scheme) continue;
                if (id.Scheme == "ip")
                {
                    if (IpAuth.Matches(id.Ident, mine.Ident)) return true;
                }
                else if (mine.Ident == id.Ident)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Validates and normalises an ACL list for create/setACL: expands <c>auth</c> to the caller's
    /// authenticated (non-ip) ids and removes duplicates. Null means INVALIDACL.
    /// </summary>
    public static Acl[]? Fixup(Acl[]? acl, AuthInfo? auth)
    {
        if (acl is null || acl.Length == 0) return null;
        var result = new List<Acl>(acl.Length);
        foreach (var a in acl)
        {
            var id = a.Id;
            if (id.Scheme is null || id.Ident is null) return null;
            switch (id.Scheme)
            {
                case "world":
                    if (id.Ident != "anyone") return null;
                    AddUnique(result, a);
                    break;
                case "auth":
                    {
                        bool any = false;
                        if (auth is not null)
                        {
                            foreach (var mine in auth.Ids)
                            {
                                // Only real authenticated identities: not the connection's ip, not the super marker.
                                if (mine.Scheme is "ip" or "super") continue;
                                AddUnique(result, new Acl(a.Perms, mine));
                                any = true;
                            }
                        }
                        if (!any) return null;
                        break;
                    }
                case "digest":
                    if (!DigestAuth.IsValidId(id.Ident)) return null;
                    AddUnique(result, a);
                    break;
                case "ip":
                    if (!IpAuth.IsValidId(id.Ident)) return null;
                    AddUnique(result, a);
                    break;
                case "super":
                case "sasl":
                case "x509":
                    AddUnique(result, a);
                    break;
                default:
                    return null;
            }
        }
        return result.ToArray();
    }

    /// <summary>getACL without ADMIN: digest ids come back as <c>user:x</c>.</summary>
    public static Acl[] MaskDigests(Acl[] acl)
    {
        bool any = false;
        foreach (var a in acl) if (a.Id.Scheme == "digest") { any = true; break; }
        if (!any) return acl;
        var copy = new Acl[acl.Length];
        for (int i = 0; i < acl.Length; i++)
        {
            var a = acl[i];
            if (a.Id.Scheme == "digest")
            {
                int colon = a.Id.Ident.IndexOf(':');
                string user = colon < 0 ? a.Id.Ident : a.Id.Ident[..colon];
                a = new Acl(a.Perms, new Id("digest", user + ":x"));
            }
            copy[i] = a;
        }
        return copy;
    }

    private static void AddUnique(List<Acl> list, Acl a)
    {
        if (!list.Contains(a)) list.Add(a);
    }
}
