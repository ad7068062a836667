#!/usr/bin/env bash
# Java client + Curator interop suite. Compiles every *.java here into a temp dir (never committed)
# and runs one main class: InteropTests by default, or the one named by --main (e.g. FailoverTests,
# the ensemble suite's failover workload).
# Usage: tests/interop/java/run.sh [--main Class] 127.0.0.1:PORT[,...] [--ttl-connect 127.0.0.1:PORT2] [test ...]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
J=/usr/share/java
MAIN=InteropTests
if [[ "${1:-}" == "--main" ]]; then
  MAIN="$2"
  shift 2
fi
# zookeeper.jar / curator-framework.jar manifests pull in jute, netty, guava, slf4j-api; slf4j-nop silences logs.
CP="$J/zookeeper.jar:$J/zookeeper-jute.jar:$J/curator-client.jar:$J/curator-framework.jar:$J/curator-recipes.jar:$J/guava.jar:$J/slf4j-api.jar:$J/slf4j-nop.jar"
for jar in zookeeper.jar curator-client.jar curator-framework.jar curator-recipes.jar; do
  [[ -f "$J/$jar" ]] || { echo "FAIL java/<setup>: $J/$jar missing"; exit 1; }
done
BUILD="$(mktemp -d /tmp/hotzk-interop-java.XXXXXX)"
trap 'rm -rf "$BUILD"' EXIT
if ! javac -nowarn -d "$BUILD" -cp "$CP" "$HERE"/*.java >"$BUILD/javac.log" 2>&1; then
  cat "$BUILD/javac.log" >&2
  echo "FAIL java/<compile>: javac failed"
  exit 1
fi
exec_rc=0
java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$BUILD:$CP" "$MAIN" "$@" || exec_rc=$?
exit $exec_rc
