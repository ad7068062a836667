#!/usr/bin/env bash
# CI perf gate, part 2: throughput as a ratio to a calibration measured in the same run.
#   calibration  = getData 16x16 against the load generator's null server (client + loopback ceiling)
#   getData-1k   = getData 16x16, 1 KiB values, against HotZk (fsync on)
#   setData-1k   = setData 16x16, 1 KiB values, against HotZk (fsync on; bounded by the disk)
# Each ratio (workload ops/s / calibration ops/s) must stay above baseline * (1 - tolerance) from
# perf-baselines/throughput.json. Exit 0 pass, 1 regression, 2 broken. Every run is bounded in time.
# Options (environment): DURATION=s (default 4), KEEP=dir (keep the raw JSON), WRITE_SPREAD=1 (print only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
duration="${DURATION:-4}"
work="${KEEP:-$(mktemp -d /tmp/hotzk-tgate.XXXXXX)}"
mkdir -p "$work"
dotnet build -c Release --nologo -v q bench/HotZk.LoadGen/HotZk.LoadGen.csproj >/dev/null
dotnet build -c Release --nologo -v q host/HotZk.Server/HotZk.Server.csproj >/dev/null
dotnet build -c Release --nologo -v q bench/HotZk.PerfGate/HotZk.PerfGate.csproj >/dev/null
loadgen=(dotnet bench/HotZk.LoadGen/bin/Release/net10.0/hotzk-loadgen.dll)
server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; [[ -z "${KEEP:-}" ]] && rm -rf "$work"; return 0; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { # port: poll ruok-style TCP connect for up to 60 s
  for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "server on port $1 did not start" >&2; return 1
}
run_load() { # port workload out.json
  timeout 120 "${loadgen[@]}" --connect "127.0.0.1:$1" --workload "$2" --sessions 16 --outstanding 16 \
    --duration "$duration" --warmup 1 --value-size 1024 --keys 1000 --quiet --json "$3" >"$3.log" 2>&1 \
    || { echo "load generator failed ($2):" >&2; tail -5 "$3.log" >&2; return 2; }
}

port=$(free_port)
"${loadgen[@]}" nullserver --port "$port" >"$work/null.log" 2>&1 &
server_pid=$!
wait_port "$port"
run_load "$port" getdata "$work/calibration.json"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

port=$(free_port)
mkdir -p "$work/data"
printf 'tickTime=2000\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nforceSync=yes\n4lw.commands.whitelist=ruok\n' "$work/data" "$port" >"$work/zoo.cfg"
dotnet host/HotZk.Server/bin/Release/net10.0/hotzk-server.dll server "$work/zoo.cfg" >"$work/server.log" 2>&1 &
server_pid=$!
wait_port "$port"
run_load "$port" getdata "$work/getdata.json"
run_load "$port" setdata "$work/setdata.json"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

/usr/bin/python3 - "$work" <<'PY'
import json, sys, os
w = sys.argv[1]
def rate(f):
    d = json.load(open(os.path.join(w, f)))
    for k in ("OpsPerSec", "opsPerSec"):
        if k in d: return d[k]
    raise SystemExit(f"{f}: no OpsPerSec")
out = {"tool": "run-throughput-gate.sh", "workloads": [
    {"name": "calibration", "opsPerSec": rate("calibration.json")},
    {"name": "getData-1k", "opsPerSec": rate("getdata.json")},
    {"name": "setData-1k", "opsPerSec": rate("setdata.json")}]}
json.dump(out, open(os.path.join(w, "run.json"), "w"), indent=2)
print("  ".join(f"{x['name']}={x['opsPerSec']:.0f} ops/s" for x in out["workloads"]))
PY
cp "$work/run.json" "${RESULT_OUT:-/dev/null}" 2>/dev/null || true
[[ "${WRITE_SPREAD:-0}" == 1 ]] && exit 0
dotnet bench/HotZk.PerfGate/bin/Release/net10.0/hotzk-perfgate.dll throughput --result "$work/run.json" --baseline perf-baselines/throughput.json
