namespace HotZk.PerfGate;

/// <summary>A plain aligned text table (first column left-aligned, the rest right-aligned).</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(TextWriter output)
    {
        var widths = new int[headers.Length];
        foreach (var row in _rows.Prepend(headers))
        {
            for (int i = 0; i < widths.Length && i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        }
        WriteRow(output, headers, widths);
        output.WriteLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in _rows) WriteRow(output, row, widths);
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        var parts = new string[widths.Length];
        for (int i = 0; i < widths.Length; i++)
        {
            string c = i < cells.Length ? cells[i] : "";
            parts[i] = i == 0 || i == widths.Length - 1 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]);
        }
        output.WriteLine(string.Join(" | ", parts).TrimEnd());
    }
}
