#!/usr/bin/env bash
# render-ten-runs.sh [OUT_DIR]
#
# The many-runs case of the Chromium render check: ten quick simulated runs
# (five θ values × occ and 2pc, ycsb, 1 s each, no --sweep), one bench
# report of them, rendered by render-report.sh. Look at OUT_DIR/ten.png
# afterwards: runs named "occ θ=0.9", one colour per engine, a short title,
# the options that differ per run and each engine's options once.
#
# Exit codes: those of render-report.sh; 1 when a run or the report fails.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
go build -o "$out/bench" ./cmd/bench
for e in occ 2pc; do
  for t in 0.5 0.7 0.8 0.9 0.99; do
    "$out/bench" run --engine "$e" --workload ycsb --theta "$t" --duration 1s -q --out "$out/$e-$t.json" >/dev/null
  done
done
"$out/bench" report "$out"/occ-*.json "$out"/2pc-*.json -o "$out/ten.html"
scripts/render-report.sh "$out/ten.html" "$out/ten.png"
