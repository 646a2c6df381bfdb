#!/usr/bin/env bash
# What running two simulations at once costs on this machine: a bound on
# what any two-way parallel plan can reach here (issue 15's sweep figure),
# whatever the plan does.
#
# Usage: REPS=3 scripts/pair-speed.sh
#
# Each repetition times, as separate processes so nothing in txbench is
# shared between them:
#   sim alone:   bench run --engine sharded --workload ycsb-a --records
#                10000 --duration 10s (the memory-bound work sweeps are
#                made of), nothing else running;
#   sim pair:    the same run twice at once;
#   alu alone / alu pair: the same for a register-only loop (eight
#                independent add/xor chains, no memory traffic), built
#                from a temporary Go file: how much of a pair's slowdown
#                is the cores themselves.
# Prints medians and, from the sim medians, the best wall-time ratio a
# two-way parallel plan could reach against a serial one with perfect
# balance and no serial part: 1 / (t_alone * (1/t_pair_a + 1/t_pair_b)),
# where pair a is the faster of the two (0.5 when a pair costs nothing).
# Meaningful only on a quiet machine: run nothing else meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bench" ./cmd/bench
mkdir -p "$work/alu"
cat >"$work/alu/main.go" <<'GO'
package main

import "fmt"

func main() {
	a, b, c, d, e, f, g, h := uint64(1), uint64(2), uint64(3), uint64(4), uint64(5), uint64(6), uint64(7), uint64(8)
	for i := uint64(0); i < 1_000_000_000; i++ {
		a += b ^ i
		b += c
		c ^= d + i
		d += e
		e ^= f
		f += g ^ a
		g += h
		h ^= a + c
	}
	fmt.Println(a ^ b ^ c ^ d ^ e ^ f ^ g ^ h)
}
GO
(cd "$work/alu" && go mod init alu >/dev/null 2>&1 && go build -o "$work/alu-bin" .)
sim() { "$work/bench" run --engine sharded --workload ycsb-a --records 10000 --duration 10s --quiet --out "$work/$1.json" >/dev/null; }
alu() { "$work/alu-bin" >/dev/null; }
t() { # wall seconds of a command (a shell function too)
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f\n", e - s}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "$(nproc) CPUs · load $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq "$REPS"); do
  for kind in sim alu; do
    t "$kind" a >>"$work/$kind.alone"
    t "$kind" b >"$work/p1" &
    t "$kind" c >"$work/p2"
    wait
    sort -g "$work/p1" "$work/p2" | paste -sd' ' >>"$work/$kind.pair"
  done
done
for kind in sim alu; do
  alone=$(median <"$work/$kind.alone")
  fast=$(cut -d' ' -f1 "$work/$kind.pair" | median)
  slow=$(cut -d' ' -f2 "$work/$kind.pair" | median)
  awk -v k="$kind" -v a="$alone" -v f="$fast" -v s="$slow" 'BEGIN {
    printf "%s: alone %.2f s · pair %.2f and %.2f s (+%.0f%% and +%.0f%%)", k, a, f, s, 100 * (f / a - 1), 100 * (s / a - 1)
    if (k == "sim") printf " · best two-way parallel/serial ratio %.3f", 1 / (a * (1 / f + 1 / s))
    printf "\n"
  }'
  echo "  runs: alone $(paste -sd' ' "$work/$kind.alone") · pairs $(paste -sd',' "$work/$kind.pair")"
done
