#!/usr/bin/env bash
# Regenerates cmd/bench/default.pgo, the CPU profile the Go toolchain uses
# for profile-guided optimisation of bench (go build and go run pick it up
# by themselves: -pgo=auto). The profile is the merge of runs that cover
# the simulator's hot paths as users drive them: YCSB-A on each simulated
# engine (us-3, 64 clients), TPC-C on each, and YCSB-B's read-mostly mix.
# Refresh it after a change that moves the hot paths; a stale profile only
# loses some of the gain (the toolchain matches it to the code by function
# name and line offset), it never changes results.
#
# Each run is sized to take about two CPU-seconds, so that no engine's
# paths dominate the merged profile (sharded makes six times occ's events
# per simulated second) and each gets ~200 samples: runs of half a
# CPU-second gave a profile whose build ran 2pc's YCSB-A in 2% more
# instructions than the profile before it, while this one's ran 2pc,
# occ and sharded in 0.2%, 1.8% and 1.2% fewer (callgrind, 2026-11-30).
#
# Usage: scripts/pgo.sh            (about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Built without a profile, so the new one does not depend on the old one.
go build -pgo=off -o "$work/bench" ./cmd/bench
run() { # name, bench run arguments...
  local name=$1
  shift
  "$work/bench" run "$@" --quiet --out "$work/$name.json" --cpuprofile "$work/$name.prof" >/dev/null
  echo "  $name: $(jq .sim_events "$work/$name.json") events"
}
for e in occ:120s 2pc:120s sharded:20s; do
  run "ycsb-a-${e%:*}" --engine "${e%:*}" --workload ycsb-a --topology us-3 --clients 64 --duration "${e#*:}"
done
for e in occ:80s 2pc:80s sharded:20s; do
  run "tpcc-${e%:*}" --engine "${e%:*}" --workload tpcc --warehouses 2 --clients 16 --duration "${e#*:}"
done
run ycsb-b-occ --engine occ --workload ycsb-b --duration 40s
go tool pprof -proto "$work"/*.prof >cmd/bench/default.pgo 2>/dev/null
echo "cmd/bench/default.pgo: $(wc -c <cmd/bench/default.pgo) bytes"
