using HotZk.Engine.Processing;
using HotZk.Engine.Storage;
using HotZk.Replication.Transport;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Server;

/// <summary>
/// Wires one ensemble member: the file log behind a <see cref="ReplicatedTxnLog"/>, the engine over
/// it, a <see cref="ZabPeer"/> on its <see cref="PeerLoop"/>, and TCP links to the other members.
/// </summary>
public sealed class EnsembleMember : IDisposable
{
    private readonly PeerLoop _loop;
    private readonly TcpPeerTransport _transport;

    /// <summary>Builds the member; <see cref="Start"/> recovers and joins the ensemble.</summary>
    public EnsembleMember(EnsembleMemberOptions options, EngineOptions engineOptions, FileTxnLog fileLog, FileSnapshotStore snapshots, string epochDir, Action<string> log)
    {
        Log = new ReplicatedTxnLog(fileLog, snapshots, epochDir);
        fileLog.Listener = Log.FileLogListener;
        Engine = new ZkEngine(engineOptions, Log, snapshots, log);
        _loop = new PeerLoop(log);
        var me = options.Members.First(m => m.Id == options.MyId);
        _transport = new TcpPeerTransport(me, options.Members.Where(m => m.Id != options.MyId).ToList(), log) { Listener = _loop };
        var zab = new ZabOptions
        {
            MyId = options.MyId,
            Voters = options.Members.Select(m => m.Id).Where(id => !options.Observers.Contains(id)).ToList(),
            Observers = options.Observers,
            TickTime = options.TickTime,
            InitLimit = options.InitLimit,
            SyncLimit = options.SyncLimit,
            FinalizeWaitMs = options.FinalizeWaitMs,
        };
        var stateMachine = new EngineStateMachine(Engine, Log, _loop, options.JuteMaxBuffer, log);
        Peer = new ZabPeer(zab, _transport, Log, stateMachine, log);
        _loop.Peer = Peer;
        Log.Peer = _loop;
        Log.Proposer = _loop.Propose;
        _loop.CallerIdle = () => Engine.IsIdle;
        Engine.EnsembleLink = new EnsembleLink(_loop);
    }

    /// <summary>The engine (role set by the peer).</summary>
    public ZkEngine Engine { get; }

    /// <summary>The ZAB state machine (read its state from any thread; it changes on the peer thread).</summary>
    public ZabPeer Peer { get; }

    /// <summary>The log both sides share.</summary>
    public ReplicatedTxnLog Log { get; }

    /// <summary>Recovers the local state, then joins: links to peers and the first election.</summary>
    public void Start()
    {
        Engine.Start();
        _transport.Start();
        _loop.Start();
    }

    /// <summary>Leaves the ensemble and stops the engine.</summary>
    public void Dispose()
    {
        _loop.Dispose();
        _transport.Dispose();
        Engine.Dispose();
    }
}
