using System.Globalization;
using System.Text;
using HotZk.Client;
using HotZk.Common;

namespace HotZk.Cli;

/// <summary>
/// A zkCli.sh-like shell over <see cref="ZkClient"/>: <c>-server host:port [-timeout ms] [command args...]</c>.
/// With a command it runs once (exit code 1 on failure); otherwise it reads commands from the input.
/// </summary>
public sealed class ZkShell
{
    private const string Usage = """
        ZooKeeper -server host:port [-timeout ms] cmd args
        	addauth scheme auth
        	close
        	create [-s] [-e] [-c] [-t ttl] path [data] [acl]
        	delete [-v version] path
        	deleteall path
        	get [-s] path
        	getAcl path
        	help
        	ls [-s] [-R] path
        	quit
        	set [-s] [-v version] path data
        	setAcl [-v version] path acl
        	stat path
        	sync path
        """;

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly string _server;
    private readonly int _timeoutMs;
    private ZkClient? _client;

    private ZkShell(string server, int timeoutMs, TextWriter output, TextWriter error)
    {
        _server = server;
        _timeoutMs = timeoutMs;
        _out = output;
        _err = error;
    }

    /// <summary>Runs the shell; returns the process exit code.</summary>
    /// <param name="args">Command line: <c>-server host:port [-timeout ms] [cmd args...]</c>.</param>
    /// <param name="input">Command lines for interactive mode.</param>
    /// <param name="output">Normal output.</param>
    /// <param name="error">Error messages.</param>
    /// <param name="interactivePrompt">Print a zkCli-style prompt before each line.</param>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, bool interactivePrompt = false)
    {
        string server = "localhost:2181";
        int timeout = 30_000;
        int i = 0;
        while (i < args.Length && args[i].StartsWith('-'))
        {
            if (args[i] == "-server" && i + 1 < args.Length) { server = args[i + 1]; i += 2; }
            else if (args[i] == "-timeout" && i + 1 < args.Length && int.TryParse(args[i + 1], out timeout)) { i += 2; }
            else { await error.WriteLineAsync(Usage); return 2; }
        }
        var shell = new ZkShell(server, timeout, output, error);
        try
        {
            if (i < args.Length)
            {
                bool ok = await shell.ExecuteAsync(args[i..]);
                return ok ? 0 : 1;
            }
            while (true)
            {
                if (interactivePrompt) await output.WriteAsync($"[zk: {server}({shell.StateText})] ");
                var line = await input.ReadLineAsync();
                if (line is null) return 0;
                var tokens = Tokenize(line);
                if (tokens.Count == 0) continue;
                if (tokens[0] == "quit") return 0;
                await shell.ExecuteAsync(tokens);
            }
        }
        finally
        {
            if (shell._client is { } c) await c.DisposeAsync();
        }
    }

    private string StateText => _client?.State switch
    {
        ZkState.Connected => "CONNECTED",
        null => "CLOSED",
        var s => s.ToString()!.ToUpperInvariant(),
    };

    /// <summary>Runs one command; false when it failed.</summary>
    private async Task<bool> ExecuteAsync(IReadOnlyList<string> tokens)
    {
        var cmd = tokens[0];
        var rest = tokens.Skip(1).ToList();
        try
        {
            switch (cmd)
            {
                case "help":
                    await _out.WriteLineAsync(Usage);
                    return true;
                case "quit":
                    return true;
                case "close":
                    if (_client is not null) await _client.CloseAsync();
                    _client = null;
                    return true;
            }
            var client = await ClientAsync();
            switch (cmd)
            {
                case "create": return await CreateAsync(client, rest);
                case "ls": return await LsAsync(client, rest);
                case "get": return await GetAsync(client, rest);
                case "set": return await SetAsync(client, rest);
                case "stat": return await StatAsync(client, rest);
                case "delete": return await DeleteAsync(client, rest);
                case "deleteall": return await DeleteAllAsync(client, rest);
                case "getAcl": return await GetAclAsync(client, rest);
                case "setAcl": return await SetAclAsync(client, rest);
                case "addauth": return await AddAuthAsync(client, rest);
                case "sync": return await SyncAsync(client, rest);
                default:
                    await _err.WriteLineAsync(Usage);
                    return false;
            }
        }
        catch (ZkException e)
        {
            await _err.WriteLineAsync(Describe(e));
            return false;
        }
        catch (UsageException e)
        {
            await _err.WriteLineAsync(e.Message);
            return false;
        }
    }

    private async Task<ZkClient> ClientAsync() =>
        _client ??= await ZkClient.ConnectAsync(_server, TimeSpan.FromMilliseconds(_timeoutMs));

    /// <summary>zkCli's wording for the common KeeperExceptions.</summary>
    private static string Describe(ZkException e) => e.Code switch
    {
        ErrorCode.NoNode => $"Node does not exist: {e.Path}",
        ErrorCode.NodeExists => $"Node already exists: {e.Path}",
        ErrorCode.NotEmpty => $"Node not empty: {e.Path}",
        ErrorCode.NoAuth => $"Insufficient permission : {e.Path}",
        ErrorCode.BadVersion => $"version No is not valid : {e.Path}",
        ErrorCode.InvalidAcl => $"Acl is not valid : {e.Path}",
        ErrorCode.NoChildrenForEphemerals => $"Ephemerals cannot have children: {e.Path}",
        ErrorCode.AuthFailed => $"Authentication is not valid : {e.Path}",
        _ => e.Message,
    };

    private sealed class UsageException(string message) : Exception(message);

    /// <summary>Splits flags (with their values when <paramref name="valued"/> lists them) from positional arguments.</summary>
    private static (HashSet<string> Flags, Dictionary<string, string> Values, List<string> Args) ParseArgs(List<string> args, string usage, params string[] valued)
    {
        var flags = new HashSet<string>();
        var values = new Dictionary<string, string>();
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (positional.Count == 0 && a.Length > 1 && a[0] == '-')
            {
                if (valued.Contains(a))
                {
                    if (i + 1 >= args.Count) throw new UsageException(usage);
                    values[a] = args[++i];
                }
                else flags.Add(a);
            }
            else positional.Add(a);
        }
        return (flags, values, positional);
    }

    private async Task<bool> CreateAsync(ZkClient c, List<string> args)
    {
        const string usage = "create [-s] [-e] [-c] [-t ttl] path [data] [acl]";
        var (flags, values, pos) = ParseArgs(args, usage, "-t");
        if (pos.Count is < 1 or > 3) throw new UsageException(usage);
        bool seq = flags.Contains("-s"), eph = flags.Contains("-e"), container = flags.Contains("-c");
        long ttl = 0;
        bool hasTtl = values.TryGetValue("-t", out var ttlText);
        if (hasTtl && (!long.TryParse(ttlText, out ttl) || eph || container)) throw new UsageException(usage);
        if (container && (seq || eph)) throw new UsageException("-c cannot be combined with -s or -e");
        var mode = (container, hasTtl, eph, seq) switch
        {
            (true, _, _, _) => CreateMode.Container,
            (_, true, _, true) => CreateMode.PersistentSequentialWithTtl,
            (_, true, _, false) => CreateMode.PersistentWithTtl,
            (_, _, true, true) => CreateMode.EphemeralSequential,
            (_, _, true, false) => CreateMode.Ephemeral,
            (_, _, false, true) => CreateMode.PersistentSequential,
            _ => CreateMode.Persistent,
        };
        byte[]? data = pos.Count > 1 ? Encoding.UTF8.GetBytes(pos[1]) : null;
        IReadOnlyList<Acl> acl = pos.Count > 2 ? ParseAcl(pos[2]) : Acl.OpenAclUnsafe;
        var created = await c.CreateAsync(pos[0], data, acl, mode, ttl);
        await _out.WriteLineAsync($"Created {created}");
        return true;
    }

    private async Task<bool> LsAsync(ZkClient c, List<string> args)
    {
        var (flags, _, pos) = ParseArgs(args, "ls [-s] [-R] path");
        if (pos.Count != 1) throw new UsageException("ls [-s] [-R] path");
        if (flags.Contains("-R"))
        {
            await ListRecursiveAsync(c, pos[0]);
            return true;
        }
        var (children, stat) = await c.GetChildren2Async(pos[0]);
        await _out.WriteLineAsync("[" + string.Join(", ", children.Order(StringComparer.Ordinal)) + "]");
        if (flags.Contains("-s")) await PrintStatAsync(stat);
        return true;
    }

    private async Task ListRecursiveAsync(ZkClient c, string path)
    {
        await _out.WriteLineAsync(path);
        var children = await c.GetChildrenAsync(path);
        foreach (var child in children.Order(StringComparer.Ordinal))
            await ListRecursiveAsync(c, path == "/" ? "/" + child : path + "/" + child);
    }

    private async Task<bool> GetAsync(ZkClient c, List<string> args)
    {
        var (flags, _, pos) = ParseArgs(args, "get [-s] path");
        if (pos.Count != 1) throw new UsageException("get [-s] path");
        var (data, stat) = await c.GetDataAsync(pos[0]);
        await _out.WriteLineAsync(data is null ? "null" : Encoding.UTF8.GetString(data));
        if (flags.Contains("-s")) await PrintStatAsync(stat);
        return true;
    }

    private async Task<bool> SetAsync(ZkClient c, List<string> args)
    {
        const string usage = "set [-s] [-v version] path data";
        var (flags, values, pos) = ParseArgs(args, usage, "-v");
        if (pos.Count != 2) throw new UsageException(usage);
        var stat = await c.SetDataAsync(pos[0], Encoding.UTF8.GetBytes(pos[1]), Version(values, usage));
        if (flags.Contains("-s")) await PrintStatAsync(stat);
        return true;
    }

    private async Task<bool> StatAsync(ZkClient c, List<string> args)
    {
        if (args.Count != 1) throw new UsageException("stat path");
        var stat = await c.ExistsAsync(args[0]) ?? throw new ZkException(ErrorCode.NoNode, args[0]);
        await PrintStatAsync(stat);
        return true;
    }

    private async Task<bool> DeleteAsync(ZkClient c, List<string> args)
    {
        const string usage = "delete [-v version] path";
        var (_, values, pos) = ParseArgs(args, usage, "-v");
        if (pos.Count != 1) throw new UsageException(usage);
        await c.DeleteAsync(pos[0], Version(values, usage));
        return true;
    }

    private async Task<bool> DeleteAllAsync(ZkClient c, List<string> args)
    {
        if (args.Count != 1) throw new UsageException("deleteall path");
        await DeleteTreeAsync(c, args[0]);
        return true;
    }

    private static async Task DeleteTreeAsync(ZkClient c, string path)
    {
        foreach (var child in await c.GetChildrenAsync(path))
            await DeleteTreeAsync(c, path == "/" ? "/" + child : path + "/" + child);
        if (path != "/") await c.DeleteAsync(path);
    }

    private async Task<bool> GetAclAsync(ZkClient c, List<string> args)
    {
        if (args.Count != 1) throw new UsageException("getAcl path");
        var (acl, _) = await c.GetAclAsync(args[0]);
        foreach (var a in acl)
        {
            await _out.WriteLineAsync($"'{a.Id.Scheme},'{a.Id.Ident}");
            await _out.WriteLineAsync(": " + PermString(a.Perms));
        }
        return true;
    }

    private async Task<bool> SetAclAsync(ZkClient c, List<string> args)
    {
        const string usage = "setAcl [-s] [-v version] path acl";
        var (flags, values, pos) = ParseArgs(args, usage, "-v");
        if (pos.Count != 2) throw new UsageException(usage);
        var stat = await c.SetAclAsync(pos[0], ParseAcl(pos[1]), Version(values, usage));
        if (flags.Contains("-s")) await PrintStatAsync(stat);
        return true;
    }

    private static async Task<bool> AddAuthAsync(ZkClient c, List<string> args)
    {
        if (args.Count != 2) throw new UsageException("addauth scheme auth");
        await c.AddAuthAsync(args[0], Encoding.UTF8.GetBytes(args[1]));
        return true;
    }

    private async Task<bool> SyncAsync(ZkClient c, List<string> args)
    {
        if (args.Count != 1) throw new UsageException("sync path");
        await c.SyncAsync(args[0]);
        await _out.WriteLineAsync("Sync is OK");
        return true;
    }

    private static int Version(Dictionary<string, string> values, string usage)
    {
        if (!values.TryGetValue("-v", out var v)) return -1;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new UsageException(usage);
    }

    private async Task PrintStatAsync(Stat s)
    {
        await _out.WriteLineAsync($"cZxid = 0x{s.Czxid:x}");
        await _out.WriteLineAsync($"ctime = {JavaDate(s.Ctime)}");
        await _out.WriteLineAsync($"mZxid = 0x{s.Mzxid:x}");
        await _out.WriteLineAsync($"mtime = {JavaDate(s.Mtime)}");
        await _out.WriteLineAsync($"pZxid = 0x{s.Pzxid:x}");
        await _out.WriteLineAsync($"cversion = {s.Cversion}");
        await _out.WriteLineAsync($"dataVersion = {s.Version}");
        await _out.WriteLineAsync($"aclVersion = {s.Aversion}");
        await _out.WriteLineAsync($"ephemeralOwner = 0x{s.EphemeralOwner:x}");
        await _out.WriteLineAsync($"dataLength = {s.DataLength}");
        await _out.WriteLineAsync($"numChildren = {s.NumChildren}");
    }

    /// <summary>Java's <c>Date.toString()</c> shape, in UTC: <c>Thu Jan 01 00:00:00 UTC 1970</c>.</summary>
    private static string JavaDate(long epochMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    /// <summary>zkCli's permission letters, in its order.</summary>
    internal static string PermString(Perms p)
    {
        var sb = new StringBuilder(5);
        if ((p & Perms.Create) != 0) sb.Append('c');
        if ((p & Perms.Delete) != 0) sb.Append('d');
        if ((p & Perms.Read) != 0) sb.Append('r');
        if ((p & Perms.Write) != 0) sb.Append('w');
        if ((p & Perms.Admin) != 0) sb.Append('a');
        return sb.ToString();
    }

    /// <summary>Parses zkCli ACL text: <c>scheme:id:perms[,scheme:id:perms...]</c>; the id may itself contain ':' (digest).</summary>
    public static IReadOnlyList<Acl> ParseAcl(string text)
    {
        var list = new List<Acl>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int first = part.IndexOf(':');
            int last = part.LastIndexOf(':');
            if (first < 0 || last == first) throw new UsageException($"{part} does not have the form scheme:id:perm");
            var perms = Perms.None;
            foreach (char ch in part[(last + 1)..])
            {
                perms |= ch switch
                {
                    'r' => Perms.Read,
                    'w' => Perms.Write,
                    'c' => Perms.Create,
                    'd' => Perms.Delete,
                    'a' => Perms.Admin,
                    _ => throw new UsageException($"Unknown perm type: {ch}"),
                };
            }
            list.Add(new Acl(perms, new Id(part[..first], part[(first + 1)..last])));
        }
        return list;
    }

    /// <summary>Splits a command line on whitespace, honouring single and double quotes.</summary>
    public static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        bool inToken = false;
        foreach (char ch in line)
        {
            if (quote != '\0')
            {
                if (ch == quote) quote = '\0';
                else current.Append(ch);
            }
            else if (ch is '"' or '\'')
            {
                quote = ch;
                inToken = true;
            }
            else if (char.IsWhiteSpace(ch))
            {
                if (inToken) tokens.Add(current.ToString());
                current.Clear();
                inToken = false;
            }
            else
            {
                current.Append(ch);
                inToken = true;
            }
        }
        if (inToken) tokens.Add(current.ToString());
        return tokens;
    }
}
