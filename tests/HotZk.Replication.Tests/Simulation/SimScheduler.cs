namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// The simulation's only clock and event loop: actions run in (virtual time, sequence) order, so
/// two actions due at the same time run in the order they were scheduled and a run is a pure
/// function of its seed.
/// </summary>
internal sealed class SimScheduler(Random rng)
{
    private readonly PriorityQueue<Action, (long Time, long Seq)> _queue = new();
    private long _seq;

    /// <summary>Virtual milliseconds.</summary>
    public long Now { get; private set; }

    /// <summary>The run's one source of randomness.</summary>
    public Random Rng { get; } = rng;

    /// <summary>Events executed so far (part of the determinism fingerprint).</summary>
    public long EventsRun { get; private set; }

    /// <summary>Set by a checker that found a violation: the run stops at the next event.</summary>
    public bool Halted { get; set; }

    /// <summary>A run that needs more events than this is runaway (a message storm): it stops.</summary>
    public long MaxEvents { get; init; } = 5_000_000;

    public void At(long time, Action action) => _queue.Enqueue(action, (Math.Max(time, Now), _seq++));

    public void After(long delayMs, Action action) => At(Now + delayMs, action);

    /// <summary>Runs <paramref name="action"/> every <paramref name="periodMs"/> from <paramref name="firstAt"/> while it returns true.</summary>
    public void Every(long firstAt, long periodMs, Func<bool> action)
    {
        At(firstAt, () =>
        {
            if (action()) Every(Now + periodMs, periodMs, action);
        });
    }

    /// <summary>Runs every event due up to <paramref name="time"/>, then leaves the clock there.</summary>
    public void RunUntil(long time)
    {
        while (!Halted && _queue.TryPeek(out _, out var key) && key.Time <= time)
        {
            var action = _queue.Dequeue();
            Now = key.Time;
            if (++EventsRun > MaxEvents) Runaway();
            action();
        }
        if (!Halted) Now = Math.Max(Now, time);
    }

    /// <summary>Set when the event budget ran out.</summary>
    public bool RanAway { get; private set; }

    private void Runaway()
    {
        RanAway = true;
        Halted = true;
    }

    /// <summary>Runs until <paramref name="done"/> holds (checked after every event) or <paramref name="deadline"/>; true when it held.</summary>
    public bool RunUntil(long deadline, Func<bool> done)
    {
        if (done()) return true;
        while (!Halted && _queue.TryPeek(out _, out var key) && key.Time <= deadline)
        {
            var action = _queue.Dequeue();
            Now = key.Time;
            if (++EventsRun > MaxEvents) Runaway();
            action();
            if (done()) return true;
        }
        if (!Halted) Now = Math.Max(Now, deadline);
        return done();
    }
}
