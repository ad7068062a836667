namespace HotZk.Engine.Storage;

public sealed partial class FileTxnLog
{
    private const string SpareFileName = "next-segment.tmp";
    private const long SpareSyncBytes = 4 << 20;
    private const string BuildingFileName = "next-segment.building.tmp";
    private readonly object _spareLock = new();
    private Thread? _preparer;
    private bool _spareReady;
    private bool _spareWanted;
    private bool _preparerStopping;

    private string SparePath => Path.Combine(_directory, SpareFileName);

    private string BuildingPath => Path.Combine(_directory, BuildingFileName);

    /// <summary>
    /// The next segment is prepared off the commit path: a background thread writes its header,
    /// reserves <see cref="FileTxnLogOptions.PreallocationSize"/> bytes (zero-filling them by
    /// default) and syncs it, so a roll costs the flusher one rename and one directory fsync.
    /// </summary>
    private void StartPreparer()
    {
        _preparer = new Thread(PreparerLoop) { IsBackground = true, Name = "hotzk-txnlog-preparer" };
        _preparer.Start();
        RequestSpare();
    }

    private void StopPreparer()
    {
        lock (_spareLock)
        {
            _preparerStopping = true;
            Monitor.PulseAll(_spareLock);
        }

        _preparer?.Join();
    }

    private void RequestSpare()
    {
        lock (_spareLock)
        {
            if (!_spareReady)
            {
                _spareWanted = true;
                Monitor.PulseAll(_spareLock);
            }
        }
    }

    /// <summary>Renames the prepared spare to <paramref name="segment"/>'s path; false when none is ready.</summary>
    private bool TakeSpare(TxnLogSegment segment)
    {
        lock (_spareLock)
        {
            if (!_spareReady)
            {
                return false;
            }

            _spareReady = false;
        }

        try
        {
            File.Move(SparePath, segment.Path, overwrite: false);
            return true;
        }
        catch (IOException ex)
        {
            Log($"txn log: could not use the prepared segment: {ex.Message}");
            return false;
        }
    }

    private void PreparerLoop()
    {
        while (true)
        {
            lock (_spareLock)
            {
                while (!_spareWanted && !_preparerStopping)
                {
                    Monitor.Wait(_spareLock);
                }

                if (_preparerStopping)
                {
                    return;
                }

                _spareWanted = false;
                if (_spareReady)
                {
                    // Asked again while the last one was being prepared. Never touch a ready spare:
                    // the flusher may rename it into a live segment at any moment.
                    continue;
                }
            }

            try
            {
                PrepareSpare();
                lock (_spareLock)
                {
                    _spareReady = true;
                }
            }
            catch (Exception ex)
            {
                // Disk full and the like: the flusher creates segments inline until a later request succeeds.
                Log($"txn log: preparing the next segment failed: {ex.Message}");
                try
                {
                    File.Delete(BuildingPath);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>
    /// Builds the spare under another name and renames it into place only when complete, so no
    /// handle of the preparer can ever refer to a file the flusher has turned into a segment.
    /// </summary>
    private void PrepareSpare()
    {
        using (var handle = File.OpenHandle(BuildingPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            Span<byte> header = stackalloc byte[TxnLogFormat.FileHeaderSize];
            TxnLogFormat.WriteFileHeader(header);
            RandomAccess.Write(handle, header, 0);
            Reserve(handle, TxnLogFormat.FileHeaderSize, TxnLogFormat.FileHeaderSize + _options.PreallocationSize, _options.Preallocation,
                syncEvery: _options.ForceSync ? SpareSyncBytes : 0);
            if (_options.ForceSync)
            {
                RandomAccess.FlushToDisk(handle);
            }
        }

        File.Move(BuildingPath, SparePath, overwrite: true);
    }
}
