#!/usr/bin/env bash
# Side-by-side HotZk vs Apache ZooKeeper 3.8 on loopback (standalone, fsync on, identical zoo.cfg).
# Thin wrapper over `hotzk bench compare` (bench/HotZk.LoadGen/Compare.cs), which does the work:
# physical limits + null-server ceiling, both servers started with fresh temp data dirs, workloads run
# alternately (hotzk, zk, then zk, hotzk ...), server RSS/CPU sampled from /proc around each measured
# window, ratio table printed, JSON written to perf-baselines/compare-<date>.json.
#
#   bench/compare/compare.sh                      # default: 5 cases x 2 rounds x 10 s (~6 min on 2 cores)
#   bench/compare/compare.sh --long               # + createdelete, multi, largevalue, watchfanout, lock,
#                                                 #   sessionchurn, populate-1M; 3 rounds x 30 s
#   bench/compare/compare.sh --cases write,read --rounds 3 --duration 20 --out /tmp/x.json
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [ ! -f /usr/share/java/zookeeper.jar ]; then
    echo "compare.sh: Apache ZooKeeper is not installed (/usr/share/java/zookeeper.jar)." >&2
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "compare.sh: installing Debian's zookeeper package..." >&2
        apt-get install -y zookeeper >&2
    else
        echo "compare.sh: install it with: sudo apt-get install zookeeper" >&2
        exit 1
    fi
fi
command -v java >/dev/null 2>&1 || { echo "compare.sh: java is required (apt-get install default-jre-headless)" >&2; exit 1; }

cd "$ROOT"
exec "$ROOT/hotzk" bench compare "$@"
