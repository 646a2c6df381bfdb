#!/usr/bin/env bash
# Deneva's skew curve (NO_WAIT throughput at θ 0.6 / 0.7 / 0.8 / 0.9 over
# θ = 0) on 2pc, the measurements behind docs/models.md's "Deneva's
# experiments" table (its rows within the runner's 10,000-client cap).
# Each run takes one to two minutes on a quiet core; a row is five runs.
#   scripts/deneva-skew.sh                  # every row
#   scripts/deneva-skew.sh parts-2^24       # one row (names below)
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$(mktemp -d)/bench
go build -o "$bench" ./cmd/bench

base="--engine 2pc --topology single-az --2pc-cores 1 --lock-policy no-wait --2pc-log-flush 0s --2pc-log-flush-p99 0s
  --epsilon 0s --one-shot --workload ycsb --field-count 1 --field-length 10 --ops-per-txn 10 --write-frac 0.5
  --max-attempts 1000 --seed 1 --clients 8192 --implicit-rows --insert-order ordered -q"
costs="--2pc-one-shot-home leader --2pc-read-cpu 5us --msg-cpu 20us"
declare -A rows=(
  [coordinator-2^24]="--splits 16 --records 16777216 --warmup 8s --duration 4s"
  [any-split-2^28]="--splits 16 $costs --records 268435456 --warmup 1s --duration 2s"
  [any-split-penalty-2^28]="--splits 16 $costs --records 268435456 --warmup 1s --duration 2s --backoff 10ms --backoff-max 500ms"
  [parts-2^24]="--splits 103 --partitions 16 --partitions-per-txn 2 $costs --records 16777216 --warmup 600ms --duration 1s"
  [parts-2^28]="--splits 103 --partitions 16 --partitions-per-txn 2 $costs --records 268435456 --warmup 600ms --duration 1s"
)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then names=(coordinator-2^24 any-split-2^28 any-split-penalty-2^28 parts-2^24 parts-2^28); fi
for name in "${names[@]}"; do
  [ -n "${rows[$name]:-}" ] || { echo "unknown row $name (one of: ${!rows[*]})" >&2; exit 2; }
  line="$name:"
  zero=
  for theta in 0 0.6 0.7 0.8 0.9; do
    # shellcheck disable=SC2086
    read -r tps abort < <("$bench" run $base ${rows[$name]} --theta "$theta" | awk '$1 == "total" {print $4, $10}')
    if [ -z "$zero" ]; then zero=$tps; line="$line θ=0 $tps tps;"; continue; fi
    line="$line $theta $(awk -v a="$tps" -v b="$zero" 'BEGIN {printf "%.3f", a / b}') ($abort aborts)"
  done
  echo "$line"
done
