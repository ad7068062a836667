namespace HotZk.Common;

/// <summary>ZooKeeper's znode path rules (PathUtils.validatePath).</summary>
public static class PathValidator
{
    /// <summary>Returns null when <paramref name="path"/> is valid, otherwise the reason.</summary>
    public static string? Validate(string? path)
    {
        if (path is null) return "Path cannot be null";
        if (path.Length == 0) return "Path length must be > 0";
        if (path[0] != '/') return "Path must start with / character";
        if (path.Length == 1) return null;
        if (path[^1] == '/') return "Path must not end with / character";

        char last = '/';
        for (int i = 1; i < path.Length; last = path[i], i++)
        {
            char c = path[i];
            if (c == 0) return $"null character not allowed @{i}";
            if (c == '/' && last == '/') return $"empty node name specified @{i}";
            if (c == '.' && last == '.')
            {
                if (path[i - 2] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                    return $"relative paths not allowed @{i}";
            }
            else if (c == '.')
            {
                if (path[i - 1] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                    return $"relative paths not allowed @{i}";
            }
            else if ((c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009f')
                     || (c >= '\ud800' && c <= '\uf8ff') || (c >= '\ufff0'))
            {
                return $"invalid character @{i}";
            }
        }
        return null;
    }

    /// <summary>True when the path is valid.</summary>
    public static bool IsValid(string? path) => Validate(path) is null;

    /// <summary>The parent of an absolute path ("/" for top-level nodes, "" for the root).</summary>
    public static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        if (i <= 0) return path.Length <= 1 ? string.Empty : "/";
        return path[..i];
    }

    /// <summary>The last segment of an absolute path.</summary>
    public static string Name(string path)
    {
        int i = path.LastIndexOf('/');
        return path[(i + 1)..];
    }
}
