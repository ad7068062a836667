#!/usr/bin/env bash
# CI perf gate, part 1: allocated bytes per operation.
#   Builds the benchmarks and the gate (Release), runs every BenchmarkDotNet suite in --quick mode
#   (in-process, 3 x 100 ms iterations), then compares bytes/op with perf-baselines/allocations.json.
#   Exit code = gate result: 0 pass, 1 regression, 2 broken input (no report, bad JSON, failed benchmark).
# Options (environment):
#   FILTER='*Jute*'        run a subset (the gate then ignores baseline entries that were not measured)
#   WRITE_BASELINE=1       rewrite perf-baselines/allocations.json from this run (commit it and say why)
#   LOADGEN_RESULT=f.json  also run the throughput gate on a load-generator result (calibration workload inside it)
#   THROUGHPUT_BASELINE=   baseline for that gate (default perf-baselines/throughput.json)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
artifacts="${ARTIFACTS:-$root/artifacts/perf-gate}"
filter="${FILTER:-*}"
baseline="$root/perf-baselines/allocations.json"
start=$(date +%s)

build() {
  # Other builds may hold the same obj/ files; retry on a lock or a transient failure.
  local attempt
  for attempt in 1 2 3; do
    if dotnet build -c Release --nologo -v q "$1"; then return 0; fi
    echo "build of $1 failed (attempt $attempt); retrying in 20 s" >&2
    sleep 20
  done
  return 1
}

build bench/HotZk.Benchmarks/HotZk.Benchmarks.csproj || exit 2
build bench/HotZk.PerfGate/HotZk.PerfGate.csproj || exit 2

rm -rf "$artifacts"
mkdir -p "$artifacts"
# Two independent runs; the gate takes each benchmark's smallest figure (noise only adds bytes,
# a real regression is in both). RUNS=1 for a quick local check.
runs="${RUNS:-2}"
result_dirs=()
for run in $(seq 1 "$runs"); do
  dir="$artifacts/run$run"
  mkdir -p "$dir"
  bench_rc=0
  dotnet bench/HotZk.Benchmarks/bin/Release/net10.0/HotZk.Benchmarks.dll \
    --quick --filter "$filter" --artifacts "$dir" --stopOnFirstError >"$dir/benchmarks.log" 2>&1 || bench_rc=$?
  if [ "$bench_rc" -ne 0 ]; then
    echo "benchmarks failed (exit $bench_rc); last lines of $dir/benchmarks.log:" >&2
    tail -n 40 "$dir/benchmarks.log" >&2
    exit 2
  fi
  result_dirs+=("$dir/results")
done
echo "benchmarks ($runs runs) took $(( $(date +%s) - start )) s (logs: $artifacts/run*/benchmarks.log)"

gate=(dotnet bench/HotZk.PerfGate/bin/Release/net10.0/hotzk-perfgate.dll)
args=(alloc --baseline "$baseline")
for d in "${result_dirs[@]}"; do args+=(--results "$d"); done
[ "$filter" != "*" ] && args+=(--allow-missing)
[ "${WRITE_BASELINE:-0}" = "1" ] && args+=(--write-baseline)
rc=0
"${gate[@]}" "${args[@]}" || rc=$?

if [ -n "${LOADGEN_RESULT:-}" ]; then
  trc=0
  "${gate[@]}" throughput --result "$LOADGEN_RESULT" --baseline "${THROUGHPUT_BASELINE:-$root/perf-baselines/throughput.json}" || trc=$?
  [ "$trc" -gt "$rc" ] && rc=$trc
fi

echo "perf gate took $(( $(date +%s) - start )) s; exit $rc"
exit "$rc"
