// Every test starts three to five server processes: run them one at a time (a 2-core machine
// running two ensembles at once would turn tick-based timeouts into flakes).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
