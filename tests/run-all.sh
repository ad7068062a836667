#!/usr/bin/env bash
# HotZk: the single test command (also `./hotzk test`).
#
#   1. dotnet test HotZk.sln -c Release        (unit + integration tests)
#   2. dotnet build -c Release HotZk.sln       (the server the interop suites start via ./hotzk)
#   3. tests/interop/run.py                    (kazoo, Java+Curator, zkCli/cli_mt/4lw, differential
#                                               HotZk-vs-ZooKeeper; target from HOTZK_INTEROP_TARGETS,
#                                               default: hotzk when ./hotzk exists, else zk)
#   4. bench/run-perf-gate.sh                  (allocation perf gate vs perf-baselines/allocations.json)
#      bench/run-throughput-gate.sh            (throughput ratio to a same-run calibration vs perf-baselines/throughput.json)
#
# Every step runs even if an earlier one failed; a failing step is never masked: it adds to the
# failure count. The last line printed is exactly "N passed, M failed" (", K skipped" appended when
# K > 0); the exit code is non-zero when M > 0.
#
# Env: HOTZK_INTEROP_TARGETS=zk|hotzk|both|auto, HOTZK_INTEROP_SUITES=kazoo,java,tools,diff,
#      HOTZK_TEST_SKIP_DOTNET=1 (interop only), HOTZK_TEST_VERBOSE=1 (echo every PASS line),
#      HOTZK_TEST_LOGDIR=<dir> (full logs; default: a new /tmp/hotzk-tests.* directory).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOGDIR="${HOTZK_TEST_LOGDIR:-$(mktemp -d /tmp/hotzk-tests.XXXXXX)}"
mkdir -p "$LOGDIR"
export HOTZK_INTEROP_LOGDIR="$LOGDIR"

PASSED=0
FAILED=0
SKIPPED=0
CHILD=""
T_START=$SECONDS

# Stop only the step we started (by PID); the interop runner stops its own servers on SIGTERM.
cleanup() {
    if [[ -n "$CHILD" ]] && kill -0 "$CHILD" 2>/dev/null; then
        kill -TERM "$CHILD" 2>/dev/null
        wait "$CHILD" 2>/dev/null
    fi
}
trap 'cleanup; echo "interrupted"; exit 130' INT TERM

# run_step <logfile> <cmd...>: run in the background (so the trap can stop it), wait, return its rc.
run_step() {
    local log="$1"
    shift
    "$@" >"$log" 2>&1 &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=""
    return $rc
}

fail_step() { # <message>
    echo "FAIL $1"
    FAILED=$((FAILED + 1))
}

# ------------------------------------------------------------------ 1. dotnet test
if [[ "${HOTZK_TEST_SKIP_DOTNET:-0}" != 1 ]]; then
    echo "== dotnet test HotZk.sln -c Release (log: $LOGDIR/dotnet-test.log)"
    t0=$SECONDS
    rc=0
    # One test assembly at a time: ensemble, crash and session-timing tests each start several server
    # processes, and running them beside each other on a 2-core machine starved session pings (CI dry run).
    run_step "$LOGDIR/dotnet-test.log" dotnet test HotZk.sln -c Release --nologo -m:1 || rc=$?
    # Summary lines, one per test assembly:
    #   Passed!  - Failed:     0, Passed:    32, Skipped:     2, Total:    34, Duration: 24 s - X.Tests.dll (net10.0)
    read -r dp df ds nasm < <(awk '
        /^(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
            line = $0; gsub(/,/, "", line); n = split(line, w, /[ \t]+/)
            for (i = 1; i <= n; i++) {
                if (w[i] == "Failed:") f += w[i + 1]
                if (w[i] == "Passed:") p += w[i + 1]
                if (w[i] == "Skipped:") s += w[i + 1]
            }
            a++
        }
        END { printf "%d %d %d %d\n", p, f, s, a }' "$LOGDIR/dotnet-test.log")
    grep -E '^(Passed|Failed)! ' "$LOGDIR/dotnet-test.log" | sed 's/^/   /'
    grep -E '^\s+Failed [A-Za-z_]' "$LOGDIR/dotnet-test.log" | sed 's/^ */   FAIL dotnet: /' | head -50
    # The message and the top of the stack of each failure, so CI's printed output alone explains it.
    grep -E -A 24 '^\s+Failed [A-Za-z_]' "$LOGDIR/dotnet-test.log" | head -150 | sed 's/^/   | /'
    grep -E ': error [A-Z]+[0-9]+' "$LOGDIR/dotnet-test.log" | sort -u | head -20 | sed 's/^/   /'
    PASSED=$((PASSED + dp))
    FAILED=$((FAILED + df))
    SKIPPED=$((SKIPPED + ds))
    if [[ $rc -ne 0 && $df -eq 0 ]]; then
        # build error, crashed test host, ...: no failing test was counted, so count the step itself
        fail_step "dotnet-test: exit code $rc with no failed test reported ($nasm test assemblies summarised; see $LOGDIR/dotnet-test.log)"
    elif [[ $nasm -eq 0 ]]; then
        fail_step "dotnet-test: no test results found (see $LOGDIR/dotnet-test.log)"
    fi
    echo "== dotnet test: $dp passed, $df failed, $ds skipped in $nasm assemblies ($((SECONDS - t0))s)"

    # -------------------------------------------------------------- 2. dotnet build
    echo "== dotnet build -c Release HotZk.sln (log: $LOGDIR/dotnet-build.log)"
    t0=$SECONDS
    rc=0
    run_step "$LOGDIR/dotnet-build.log" dotnet build -c Release HotZk.sln --nologo || rc=$?
    if [[ $rc -ne 0 ]]; then
        grep -E ': error [A-Z]+[0-9]+' "$LOGDIR/dotnet-build.log" | sort -u | head -20 | sed 's/^/   /'
        fail_step "dotnet-build: exit code $rc (see $LOGDIR/dotnet-build.log)"
    fi
    echo "== dotnet build: rc=$rc ($((SECONDS - t0))s)"
fi

# ------------------------------------------------------------------ 3. interop suites
echo "== interop (targets: ${HOTZK_INTEROP_TARGETS:-auto}; log: $LOGDIR/interop.log)"
t0=$SECONDS
if [[ ! -x /usr/bin/python3 ]]; then
    fail_step "interop: /usr/bin/python3 missing (apt-get install python3 python3-kazoo)"
else
    rc=0
    run_step "$LOGDIR/interop.log" /usr/bin/python3 -u tests/interop/run.py || rc=$?
    if [[ "${HOTZK_TEST_VERBOSE:-0}" == 1 ]]; then
        cat "$LOGDIR/interop.log"
    else
        grep -vE '^PASS ' "$LOGDIR/interop.log" | grep -vE '^[0-9]+ passed, [0-9]+ failed' | sed 's/^/   /'
    fi
    summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$LOGDIR/interop.log" | tail -1)"
    if [[ -z "$summary" ]]; then
        fail_step "interop: runner ended without a summary (exit code $rc; see $LOGDIR/interop.log)"
    else
        ip=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$summary")
        if_=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$summary")
        is=0
        [[ "$summary" == *skipped ]] && is=$(sed -E 's/.*, ([0-9]+) skipped$/\1/' <<<"$summary")
        PASSED=$((PASSED + ip))
        FAILED=$((FAILED + if_))
        SKIPPED=$((SKIPPED + is))
        if [[ $rc -ne 0 && $if_ -eq 0 ]]; then
            fail_step "interop: exit code $rc with no failed test reported"
        fi
        echo "== interop: $summary ($((SECONDS - t0))s)"
    fi
fi

# ------------------------------------------------------------------ 4. perf gate (allocations)
# Allocated bytes per op of every BenchmarkDotNet suite (quick, in-process) against
# perf-baselines/allocations.json: deterministic, so it gates every run. Counted as one check.
if [[ "${HOTZK_TEST_SKIP_PERFGATE:-0}" != 1 ]]; then
    echo "== perf gate: bench/run-perf-gate.sh (log: $LOGDIR/perf-gate.log)"
    t0=$SECONDS
    rc=0
    run_step "$LOGDIR/perf-gate.log" env ARTIFACTS="$LOGDIR/perf-gate" bash "$ROOT/bench/run-perf-gate.sh" || rc=$?
    grep -E 'REGRESSION|regress|FAIL|lower the baseline|perf gate took' "$LOGDIR/perf-gate.log" | head -30 | sed 's/^/   /'
    if [[ $rc -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        echo "PASS perf-gate/allocations ($((SECONDS - t0))s)"
    else
        fail_step "perf-gate/allocations: exit $rc (see $LOGDIR/perf-gate.log)"
    fi
    # Throughput as a ratio to a null-server calibration measured in this run (perf-baselines/throughput.json).
    t0=$SECONDS
    rc=0
    run_step "$LOGDIR/throughput-gate.log" bash "$ROOT/bench/run-throughput-gate.sh" || rc=$?
    grep -E 'ops/s|Workload|-1k|gate:' "$LOGDIR/throughput-gate.log" | sed 's/^/   /'
    if [[ $rc -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        echo "PASS perf-gate/throughput ($((SECONDS - t0))s)"
    else
        fail_step "perf-gate/throughput: exit $rc (see $LOGDIR/throughput-gate.log)"
    fi
fi

echo "== total time $((SECONDS - T_START))s; logs in $LOGDIR"
line="$PASSED passed, $FAILED failed"
[[ $SKIPPED -gt 0 ]] && line="$line, $SKIPPED skipped"
echo "$line"
[[ $FAILED -eq 0 ]]
