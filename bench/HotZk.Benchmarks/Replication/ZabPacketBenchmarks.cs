using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using HotZk.Replication.Election;
using HotZk.Replication.Transport;

namespace HotZk.Benchmarks.Replication;

/// <summary>
/// ZAB on the wire: a setData proposal framed for a follower link and read back, and an election
/// notification. Encoding writes into the link's pooled buffer (0 B); decoding hands the follower a
/// txn array it keeps until the commit (its size is the figure: the next step is pooled packet buffers).
/// </summary>
[MemoryDiagnoser]
public class ZabPacketBenchmarks
{
    private readonly byte[] _linkBuffer = new byte[64 * 1024];
    private byte[] _frame = [];
    private QuorumPacket _proposal;
    private Notification _vote;
    private byte[] _voteBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var tree = new DataTree();
        tree.CreateNode("/bench", [], Acl.OpenAclUnsafe, 0, -1, 1, 1, out _);
        tree.CreateNode("/bench/node", Fixtures.Value1K, Acl.OpenAclUnsafe, 0, -1, 2, 1, out _);
        var prep = new PrepProcessor(tree, new EngineOptions());
        var txn = prep.Prepare(new Request { Op = OpCode.SetData, Path = "/bench/node", Data = Fixtures.Value1K, Version = -1, SessionId = 1, Xid = 7 }, (1L << 32) | 3, 1_700_000_000_000);
        using var buf = new ByteBuffer(4096);
        TxnSerializer.Write(new JuteWriter(buf), txn);
        _proposal = new QuorumPacket(PacketType.Proposal, txn.Zxid, buf.WrittenSpan.ToArray());
        _frame = new byte[PacketFraming.HeaderSize + _proposal.Data.Length];
        PacketFraming.WriteHeader(_frame, _proposal);
        _proposal.Data.Span.CopyTo(_frame.AsSpan(PacketFraming.HeaderSize));
        _vote = new Notification(ServerState.Looking, 3, txn.Zxid, 7, 1);
        _voteBytes = _vote.Encode();
    }

    /// <summary>A proposal's frame as the link writer coalesces it into its send buffer.</summary>
    [Benchmark]
    public int EncodeProposalFrame()
    {
        PacketFraming.WriteHeader(_linkBuffer, _proposal);
        _proposal.Data.Span.CopyTo(_linkBuffer.AsSpan(PacketFraming.HeaderSize));
        return PacketFraming.HeaderSize + _proposal.Data.Length;
    }

    /// <summary>A follower's read of a proposal frame: header, then the txn copied into the array it logs and applies.</summary>
    [Benchmark]
    public long DecodeProposalFrame()
    {
        var (length, type, zxid) = PacketFraming.ReadHeader(_frame);
        var data = _frame.AsSpan(PacketFraming.HeaderSize, length).ToArray();
        return zxid + (long)type + data.Length;
    }

    [Benchmark]
    public int EncodeVote() => _vote.Encode().Length;

    [Benchmark]
    public long DecodeVote() => Notification.Decode(_voteBytes).Zxid;
}
