namespace HotZk.Common;

/// <summary>ACL permission bits.</summary>
[Flags]
public enum Perms
{
    /// <summary>No permission.</summary>
    None = 0,
    /// <summary>getData, getChildren, exists.</summary>
    Read = 1,
    /// <summary>setData.</summary>
    Write = 2,
    /// <summary>create children.</summary>
    Create = 4,
    /// <summary>delete children.</summary>
    Delete = 8,
    /// <summary>setACL.</summary>
    Admin = 16,
    /// <summary>Everything.</summary>
    All = 31,
}
