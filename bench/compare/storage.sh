#!/usr/bin/env bash
# Issue 3 storage figures, HotZk vs Apache ZooKeeper 3.8 side by side on loopback (~10 min on 2 cores):
#   1. VmRSS with 1,000,000 znodes of 100 B (loadgen populate), 10 s after the last create;
#   2. restart-to-serving with that data (SIGTERM and SIGKILL): process spawn -> `ruok` answers AND
#      getData of the znode written last returns its value (raw-protocol probe, tests/interop/diff/rawzk.py);
#   3. setData 32x16 1 KiB p99/p99.9 with no snapshot possible in the window vs with snapshots of the
#      1M-node tree inside it (two rounds each).
# Phases alternate the two servers (hotzk, zk / zk, hotzk); the load average is recorded with every figure.
# The work is done by bench/compare/storage.py; this wrapper builds Release once and copies the binaries
# to the run directory so a concurrent rebuild of the checkout cannot change what is measured.
#
#   bench/compare/storage.sh                       # writes perf-baselines/storage-<yyyy-MM-dd-HHmm>.json
#   bench/compare/storage.sh --out /tmp/s.json --nodes 200000 --duration 10     # smaller, for a try
#   KEEP=1 bench/compare/storage.sh                # keep the run directory (data dirs, server logs)
#
# Options after the script name go to storage.py (--nodes, --settle, --duration, --warmup, --zk-heap,
# --populate-snapcount, --nosnap-snapcount, --snap-every-sec, --out).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

[ -f /usr/share/java/zookeeper.jar ] || { echo "storage.sh: Apache ZooKeeper is not installed (apt-get install zookeeper)" >&2; exit 1; }
command -v java >/dev/null || { echo "storage.sh: java is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "storage.sh: python3 is required" >&2; exit 1; }

OUT="perf-baselines/storage-$(date +%Y-%m-%d-%H%M).json"
for ((i = 1; i <= $#; i++)); do
    if [ "${!i}" = "--out" ]; then j=$((i + 1)); OUT="${!j}"; fi
done

RUN="$(mktemp -d /tmp/hotzk-storage.XXXXXX)"
cleanup() { if [ -z "${KEEP:-}" ]; then rm -rf "$RUN"; else echo "run directory kept: $RUN"; fi; }
trap cleanup EXIT

echo "storage.sh: building Release (load $(cut -d' ' -f1-3 /proc/loadavg))"
timeout 900 dotnet build -c Release host/HotZk.Server -nologo -v q >"$RUN/build-server.log" 2>&1 || { tail -20 "$RUN/build-server.log"; exit 1; }
timeout 900 dotnet build -c Release bench/HotZk.LoadGen -nologo -v q >"$RUN/build-loadgen.log" 2>&1 || { tail -20 "$RUN/build-loadgen.log"; exit 1; }
cp -r host/HotZk.Server/bin/Release/net10.0 "$RUN/bin-hotzk"
cp -r bench/HotZk.LoadGen/bin/Release/net10.0 "$RUN/bin-loadgen"

ARGS=()
skip=0
for a in "$@"; do
    if [ $skip = 1 ]; then skip=0; continue; fi
    if [ "$a" = "--out" ]; then skip=1; continue; fi
    ARGS+=("$a")
done

# bounded: the whole measurement may not take more than 30 min
timeout --signal=TERM --kill-after=60 1800 python3 bench/compare/storage.py \
    --hotzk-dll "$RUN/bin-hotzk/hotzk-server.dll" --loadgen-dll "$RUN/bin-loadgen/hotzk-loadgen.dll" \
    --base "$RUN" --repo "$ROOT" --out "$OUT" ${ARGS[@]+"${ARGS[@]}"}
