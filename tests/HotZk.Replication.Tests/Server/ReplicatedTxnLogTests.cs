using HotZk.Engine.Storage;
using HotZk.Replication.Server;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Tests.Server;

/// <summary>The peer-facing log: zxid index, epochs, TRUNC, SNAP install — on real files.</summary>
public sealed class ReplicatedTxnLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hotzk-rlog-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private (FileTxnLog File, FileSnapshotStore Snaps, ReplicatedTxnLog Log) Open()
    {
        var file = new FileTxnLog(new FileTxnLogOptions(Path.Combine(_dir, "log")) { PreallocationSize = 1 << 20 });
        var snaps = new FileSnapshotStore(_dir);
        var log = new ReplicatedTxnLog(file, snaps, Path.Combine(_dir, "version-2"));
        file.Listener = log.FileLogListener;
        return (file, snaps, log);
    }

    private static long Z(long epoch, long counter) => (epoch << 32) | counter;

    private static ReadOnlyMemory<byte> Txn(long zxid) => BitConverter.GetBytes(zxid);

    [Fact]
    public void IndexAnswersContainsAndLastBeforeAcrossEpochsAndAReopen()
    {
        var (file, _, log) = Open();
        IReplicatedLog r = log;
        foreach (long z in new[] { Z(1, 1), Z(1, 2), Z(1, 3), Z(2, 1), Z(2, 2) }) r.Append(z, Txn(z));
        r.Flush();
        Assert.True(r.Contains(Z(1, 3)));
        Assert.False(r.Contains(Z(1, 4)));
        Assert.Equal(Z(1, 3), r.LastBefore(Z(1, 4)));
        Assert.Equal(Z(1, 3), r.LastBefore(Z(2, 1)));
        Assert.Equal(0, r.LastBefore(Z(1, 1)));
        Assert.Equal(Z(1, 1), r.FirstLoggedZxid);
        Assert.Equal(Z(2, 2), r.LastLoggedZxid);
        Assert.Equal([Z(2, 1), Z(2, 2)], r.ReadAfter(Z(1, 3)).Select(t => t.Zxid).ToArray());
        file.Dispose();

        // The index is rebuilt from the files.
        var (file2, _, log2) = Open();
        Assert.True(((IReplicatedLog)log2).Contains(Z(2, 1)));
        Assert.Equal(Z(2, 1), ((IReplicatedLog)log2).LastBefore(Z(2, 2)));
        file2.Dispose();
    }

    [Fact]
    public void TruncateDropsTheTailFromFilesAndIndexAndNewerSnapshots()
    {
        var (file, snaps, log) = Open();
        IReplicatedLog r = log;
        foreach (long z in new[] { Z(1, 1), Z(1, 2), Z(1, 3), Z(1, 4) }) r.Append(z, Txn(z));
        r.Flush();
        snaps.Save(Z(1, 4), s => s.Write([1, 2, 3]));
        snaps.Save(Z(1, 1), s => s.Write([4, 5, 6]));
        r.TruncateAfter(Z(1, 2));
        Assert.False(r.Contains(Z(1, 3)));
        Assert.Equal(Z(1, 2), r.LastLoggedZxid);
        Assert.Equal(Z(1, 1), r.NewestSnapshotZxid);
        // Appending continues after the cut.
        r.Append(Z(2, 1), Txn(Z(2, 1)));
        r.Flush();
        Assert.Equal([Z(1, 1), Z(1, 2), Z(2, 1)], r.ReadAfter(0).Select(t => t.Zxid).ToArray());
        file.Dispose();
    }

    [Fact]
    public void EpochsPersistAndDefaultToTheEpochOfTheLastZxid()
    {
        var (file, _, log) = Open();
        IReplicatedLog r = log;
        r.Append(Z(3, 1), Txn(Z(3, 1)));
        r.Flush();
        file.Dispose();
        var (file2, _, log2) = Open();
        IReplicatedLog r2 = log2;
        Assert.Equal(3, r2.CurrentEpoch);
        Assert.Equal(3, r2.AcceptedEpoch);
        r2.AcceptedEpoch = 5;
        r2.CurrentEpoch = 4;
        file2.Dispose();
        Assert.Equal("5", File.ReadAllText(Path.Combine(_dir, "version-2", "acceptedEpoch")));
        var (file3, _, log3) = Open();
        Assert.Equal(5, ((IReplicatedLog)log3).AcceptedEpoch);
        Assert.Equal(4, ((IReplicatedLog)log3).CurrentEpoch);
        file3.Dispose();
    }

    [Fact]
    public void ADamagedEpochFileIsAClearError()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "version-2"));
        File.WriteAllText(Path.Combine(_dir, "version-2", "currentEpoch"), "x7");
        var file = new FileTxnLog(new FileTxnLogOptions(Path.Combine(_dir, "log")) { PreallocationSize = 1 << 20 });
        var e = Assert.Throws<InvalidDataException>(() => new ReplicatedTxnLog(file, new FileSnapshotStore(_dir), Path.Combine(_dir, "version-2")));
        Assert.Contains("currentEpoch", e.Message);
        file.Dispose();
    }

    [Fact]
    public void InstallingASnapshotReplacesTheLogAndOlderImages()
    {
        var (file, snaps, log) = Open();
        IReplicatedLog r = log;
        foreach (long z in new[] { Z(1, 1), Z(1, 2), Z(1, 3) }) r.Append(z, Txn(z));
        r.Flush();
        snaps.Save(Z(1, 2), s => s.Write([9]));
        r.InstallSnapshot(Z(2, 7), new MemoryStream([1, 2, 3, 4]));
        Assert.Equal(Z(2, 7), r.NewestSnapshotZxid);
        Assert.Single(snaps.ListCandidates());
        // The log is empty, but this member holds everything up to the image (its votes must say so).
        Assert.Equal(Z(2, 7), r.LastLoggedZxid);
        Assert.Equal(Z(2, 7), r.DurableZxid);
        Assert.Equal(0, r.FirstLoggedZxid);
        Assert.Empty(r.ReadAfter(0));
        using (var s = r.OpenNewestSnapshot())
        {
            var buf = new MemoryStream();
            s.CopyTo(buf);
            Assert.Equal([1, 2, 3, 4], buf.ToArray());
        }
        // The leader's history continues after the image, in the same epoch too.
        r.Append(Z(2, 8), Txn(Z(2, 8)));
        r.Flush();
        Assert.Equal(Z(2, 8), r.LastLoggedZxid);
        file.Dispose();
    }

    [Fact]
    public void DurabilityOfTheFileLogReachesThePeer()
    {
        var (file, _, log) = Open();
        var events = new RecordingEvents();
        log.Peer = events;
        ((IReplicatedLog)log).Append(Z(1, 1), Txn(Z(1, 1)));
        ((IReplicatedLog)log).Flush();
        Assert.True(events.Durable.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(Z(1, 1), events.LastDurable);
        file.Dispose();
    }

    private sealed class RecordingEvents : IZabEvents
    {
        public readonly ManualResetEventSlim Durable = new();
        public long LastDurable;

        public void OnDurable(long zxid)
        {
            LastDurable = zxid;
            Durable.Set();
        }

        public void OnLogFailed(long fromZxid, Exception error)
        {
        }
    }
}
