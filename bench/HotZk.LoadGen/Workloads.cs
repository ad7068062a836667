using HotZk.Common;

namespace HotZk.LoadGen;

/// <summary>Settings of one load-generator run.</summary>
public sealed class RunOptions
{
    public string Connect { get; set; } = "127.0.0.1:2181";
    public string Workload { get; set; } = "setdata";
    public int Sessions { get; set; } = 32;
    public int Outstanding { get; set; } = 16;
    public long Ops { get; set; } = 10_000_000;
    public double DurationSec { get; set; } = 10;
    public double WarmupSec { get; set; } = 2;
    public int ValueSize { get; set; } = 1024;
    public bool ValueSizeGiven { get; set; }
    public int Keys { get; set; } = 1000;
    public double? Rate { get; set; }
    public string? JsonPath { get; set; }
    public int SessionTimeoutMs { get; set; } = 30_000;
    /// <summary>Heartbeats (setData on the own ephemeral) per sessionchurn cycle.</summary>
    public int Heartbeats { get; set; } = 3;
    /// <summary>Lock hold time in ms for the lock workload.</summary>
    public int HoldMs { get; set; }
    /// <summary>Seconds to wait for outstanding replies after the end.</summary>
    public double DrainSec { get; set; } = 10;
    public bool Quiet { get; set; }
    /// <summary>Root of every path the run creates.</summary>
    public string Root { get; set; } = "/bench";

    /// <summary>Called when the measured window starts (compare samples server CPU/RSS here).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Action? MeasureStarted { get; set; }

    /// <summary>Called when the measured window ends (after the drain).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Action? MeasureEnded { get; set; }

    public RunOptions Clone() => (RunOptions)MemberwiseClone();
}

/// <summary>A workload run by <see cref="PipelinedSession"/>s: encodes the next request of a session.</summary>
internal abstract class PipelinedWorkload
{
    protected PipelinedWorkload(RunOptions o)
    {
        Options = o;
        Value = new byte[Math.Max(o.ValueSize, 1)];
        new Random(42).NextBytes(Value);
    }

    protected RunOptions Options { get; }

    /// <summary>Value bytes written by setData/create.</summary>
    protected byte[] Value { get; set; }

    /// <summary>Op type names; <see cref="Encode"/> returns an index into this array.</summary>
    public abstract string[] OpNames { get; }

    /// <summary>Creates what the timed part needs (keys, parents), before timing starts.</summary>
    public abstract Task PrepareAsync(RawClient c);

    /// <summary>Encodes one request frame; returns its op type index.</summary>
    public abstract int Encode(ByteBuffer b, int xid, ref OpGen g);

    /// <summary>Creates every path in <paramref name="paths"/> with <paramref name="data"/>, pipelined; existing ones get setData.</summary>
    protected static async Task CreateManyAsync(RawClient c, IReadOnlyList<string> paths, ReadOnlyMemory<byte> data)
    {
        const int Window = 256;
        var inflight = new List<Task>(Window);
        foreach (var p in paths)
        {
            inflight.Add(CreateOrSetAsync(c, p, data));
            if (inflight.Count >= Window)
            {
                await Task.WhenAll(inflight).ConfigureAwait(false);
                inflight.Clear();
            }
        }
        await Task.WhenAll(inflight).ConfigureAwait(false);
    }

    private static async Task CreateOrSetAsync(RawClient c, string path, ReadOnlyMemory<byte> data)
    {
        var r = await c.CreateAsync(path, data, CreateMode.Persistent).ConfigureAwait(false);
        if (r.Err == (int)ErrorCode.NodeExists) r = await c.SetDataAsync(path, data).ConfigureAwait(false);
        if (!r.Ok) throw new IOException($"prepare {path}: {Wire.ErrorName(r.Err)}");
    }

    public static PipelinedWorkload? Create(RunOptions o) => o.Workload switch
    {
        "setdata" => new KeyWorkload(o, readPercent: 0),
        "getdata" => new KeyWorkload(o, readPercent: 100),
        "mixed90" => new KeyWorkload(o, readPercent: 90),
        "createdelete" => new CreateDeleteWorkload(o),
        "multi" => new MultiWorkload(o),
        "largevalue" => new LargeValueWorkload(o),
        "populate" => new PopulateWorkload(o),
        _ => null,
    };
}

/// <summary>getData/setData over K prepared keys, uniformly random; readPercent picks the mix.</summary>
internal class KeyWorkload : PipelinedWorkload
{
    private readonly int _readPercent;

    public KeyWorkload(RunOptions o, int readPercent) : base(o)
    {
        _readPercent = readPercent;
        KeyPaths = new byte[Math.Max(1, o.Keys)][];
        for (int i = 0; i < KeyPaths.Length; i++) KeyPaths[i] = Wire.Utf8($"{o.Root}/k{i}");
    }

    protected byte[][] KeyPaths { get; }

    public override string[] OpNames => _readPercent switch
    {
        100 => ["getdata"],
        0 => ["setdata"],
        _ => ["getdata", "setdata"],
    };

    public override async Task PrepareAsync(RawClient c)
    {
        await c.EnsureAsync(Options.Root).ConfigureAwait(false);
        var paths = new List<string>(KeyPaths.Length);
        foreach (var k in KeyPaths) paths.Add(RawClient.Str(k));
        await CreateManyAsync(c, paths, Value).ConfigureAwait(false);
    }

    public override int Encode(ByteBuffer b, int xid, ref OpGen g)
    {
        var path = KeyPaths[g.NextInt(KeyPaths.Length)];
        if (_readPercent == 100 || (_readPercent > 0 && g.NextInt(100) < _readPercent))
        {
            Wire.PathWatch(b, xid, OpCode.GetData, path, false);
            return 0;
        }
        Wire.SetData(b, xid, path, Value);
        return _readPercent == 0 ? 0 : 1;
    }
}

/// <summary>create then delete of a fresh znode per session (pipelined: FIFO order makes the delete see the create).</summary>
internal sealed class CreateDeleteWorkload(RunOptions o) : PipelinedWorkload(o)
{
    private readonly byte[] _prefix = Wire.Utf8($"{o.Root}/cd/s");

    public override string[] OpNames => ["create", "delete"];

    public override async Task PrepareAsync(RawClient c)
    {
        await c.EnsureAsync(Options.Root).ConfigureAwait(false);
        await c.EnsureAsync(Options.Root + "/cd").ConfigureAwait(false);
    }

    public override int Encode(ByteBuffer b, int xid, ref OpGen g)
    {
        Span<byte> path = stackalloc byte[_prefix.Length + 48];
        long seq = g.Seq++;
        int n = Wire.FormatPath(path, _prefix, g.Session, seq >> 1);
        if ((seq & 1) == 0)
        {
            Wire.Create(b, xid, path[..n], Value, CreateMode.Persistent);
            return 0;
        }
        Wire.Delete(b, xid, path[..n]);
        return 1;
    }
}

/// <summary>multi [create p, setData key, delete p]: three writes in one transaction.</summary>
internal sealed class MultiWorkload : KeyWorkload
{
    private readonly byte[] _prefix;

    public MultiWorkload(RunOptions o) : base(o, readPercent: 0) => _prefix = Wire.Utf8($"{o.Root}/multi/s");

    public override string[] OpNames => ["multi"];

    public override async Task PrepareAsync(RawClient c)
    {
        await base.PrepareAsync(c).ConfigureAwait(false);
        await c.EnsureAsync(Options.Root + "/multi").ConfigureAwait(false);
    }

    public override int Encode(ByteBuffer b, int xid, ref OpGen g)
    {
        Span<byte> path = stackalloc byte[_prefix.Length + 48];
        int n = Wire.FormatPath(path, _prefix, g.Session, g.Seq++);
        var key = KeyPaths[g.NextInt(KeyPaths.Length)];
        int start = Wire.Begin(b, xid, OpCode.Multi);
        var w = new JuteWriter(b);
        Wire.MultiHeader(w, OpCode.Create);
        w.WriteUtf8(path[..n]);
        w.WriteBuffer(Value.AsSpan(0, Math.Min(Value.Length, 64)));
        Wire.WriteOpenAcl(w);
        w.WriteInt((int)CreateMode.Persistent);
        Wire.MultiHeader(w, OpCode.SetData);
        w.WriteUtf8(key);
        w.WriteBuffer(Value);
        w.WriteInt(-1);
        Wire.MultiHeader(w, OpCode.Delete);
        w.WriteUtf8(path[..n]);
        w.WriteInt(-1);
        Wire.MultiEnd(w);
        Wire.End(b, start);
        return 0;
    }
}

/// <summary>setData/getData alternating on a few keys with values of 100 KiB..1000 KiB (or --value-size).</summary>
internal sealed class LargeValueWorkload : KeyWorkload
{
    private static readonly int[] Sizes = [100 * 1024, 256 * 1024, 512 * 1024, 1000 * 1024];
    private readonly int[] _sizes;

    public LargeValueWorkload(RunOptions o) : base(WithFewKeys(o), readPercent: 50)
    {
        _sizes = o.ValueSizeGiven ? [o.ValueSize] : Sizes;
        Value = new byte[_sizes.Max()];
        new Random(42).NextBytes(Value);
    }

    private static RunOptions WithFewKeys(RunOptions o)
    {
        var c = o.Clone();
        c.Keys = Math.Min(o.Keys, 16);
        return c;
    }

    public override string[] OpNames => ["getdata", "setdata"];

    public override async Task PrepareAsync(RawClient c)
    {
        await c.EnsureAsync(Options.Root).ConfigureAwait(false);
        var paths = new List<string>(KeyPaths.Length);
        foreach (var k in KeyPaths) paths.Add(RawClient.Str(k));
        await CreateManyAsync(c, paths, Value.AsMemory(0, _sizes[0])).ConfigureAwait(false);
    }

    public override int Encode(ByteBuffer b, int xid, ref OpGen g)
    {
        var path = KeyPaths[g.NextInt(KeyPaths.Length)];
        if ((g.Seq++ & 1) == 0)
        {
            Wire.PathWatch(b, xid, OpCode.GetData, path, false);
            return 0;
        }
        Wire.SetData(b, xid, path, Value.AsSpan(0, _sizes[g.NextInt(_sizes.Length)]));
        return 1;
    }
}

/// <summary>Creates znodes that stay (for memory footprint: run with --ops 1000000 --value-size 100).</summary>
internal sealed class PopulateWorkload(RunOptions o) : PipelinedWorkload(o)
{
    private readonly byte[] _prefix = Wire.Utf8($"{o.Root}/pop/r{Environment.TickCount64 % 100000}-");

    public override string[] OpNames => ["create"];

    public override async Task PrepareAsync(RawClient c)
    {
        await c.EnsureAsync(Options.Root).ConfigureAwait(false);
        await c.EnsureAsync(Options.Root + "/pop").ConfigureAwait(false);
    }

    public override int Encode(ByteBuffer b, int xid, ref OpGen g)
    {
        Span<byte> path = stackalloc byte[_prefix.Length + 48];
        int n = Wire.FormatPath(path, _prefix, g.Session, g.Seq++);
        Wire.Create(b, xid, path[..n], Value, CreateMode.Persistent);
        return 0;
    }
}
