using System.Globalization;
using System.Text;

namespace HotZk.Hosting.Config;

/// <summary>
/// Reads text in <c>java.util.Properties</c> syntax: <c>#</c>/<c>!</c> comment lines, <c>key=value</c>,
/// <c>key: value</c> or <c>key value</c>, trailing-backslash line continuations and backslash escapes
/// (<c>\t \n \r \f \uXXXX</c>, any other escaped character stands for itself).
/// </summary>
internal static class JavaProperties
{
    /// <summary>Returns the entries in file order; a repeated key appears more than once (the caller lets the last win).</summary>
    public static List<KeyValuePair<string, string>> Parse(string text)
    {
        var result = new List<KeyValuePair<string, string>>();
        var logical = new StringBuilder();
        int pos = 0;
        while (ReadLogicalLine(text, ref pos, logical))
        {
            SplitEntry(logical.ToString(), out string key, out string value);
            result.Add(new KeyValuePair<string, string>(key, value));
        }

        return result;
    }

    // Builds the next non-blank, non-comment logical line (continuations joined, still escaped).
    private static bool ReadLogicalLine(string text, ref int pos, StringBuilder line)
    {
        line.Clear();
        bool continuing = false;
        while (pos < text.Length)
        {
            int start = pos;
            int end = text.IndexOfAny(['\r', '\n'], start);
            if (end < 0)
            {
                end = text.Length;
                pos = end;
            }
            else
            {
                pos = end + 1;
                if (text[end] == '\r' && pos < text.Length && text[pos] == '\n')
                {
                    pos++;
                }
            }

            int i = start;
            while (i < end && IsWhitespace(text[i]))
            {
                i++;
            }

            if (!continuing && (i == end || text[i] == '#' || text[i] == '!'))
            {
                // Blank or comment line; a comment line is never continued.
                continue;
            }

            int backslashes = 0;
            for (int j = end - 1; j >= i && text[j] == '\\'; j--)
            {
                backslashes++;
            }

            if (backslashes % 2 == 1)
            {
                line.Append(text, i, end - i - 1);
                continuing = true;
                continue;
            }

            line.Append(text, i, end - i);
            return true;
        }

        // A continuation on the last line of the file ends the entry.
        return continuing;
    }

    private static void SplitEntry(string line, out string key, out string value)
    {
        int i = 0;
        bool escaped = false;
        for (; i < line.Length; i++)
        {
            char c = line[i];
            if (escaped)
            {
                escaped = false;
            }
            else if (c == '\\')
            {
                escaped = true;
            }
            else if (c == '=' || c == ':' || IsWhitespace(c))
            {
                break;
            }
        }

        key = Unescape(line.AsSpan(0, i));
        while (i < line.Length && IsWhitespace(line[i]))
        {
            i++;
        }

        if (i < line.Length && (line[i] == '=' || line[i] == ':'))
        {
            i++;
        }

        while (i < line.Length && IsWhitespace(line[i]))
        {
            i++;
        }

        value = Unescape(line.AsSpan(i));
    }

    private static string Unescape(ReadOnlySpan<char> s)
    {
        if (s.IndexOf('\\') < 0)
        {
            return s.ToString();
        }

        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c != '\\' || i + 1 == s.Length)
            {
                sb.Append(c);
                continue;
            }

            c = s[++i];
            switch (c)
            {
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when i + 4 < s.Length
                    && int.TryParse(s.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code):
                    sb.Append((char)code);
                    i += 4;
                    break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\f';
}
