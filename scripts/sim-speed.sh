#!/usr/bin/env bash
# The simulator's speed and memory, side by side with an older revision
# (issue 15's "done when" figures). Both revisions are built from git
# (git archive into a temporary folder), so the comparison needs no checkout.
#
# Usage: scripts/sim-speed.sh [ycsb|tpcc|sweep|all]     (default: all)
#   BASE=0831951 CUR=HEAD REPS=3 scripts/sim-speed.sh ycsb
#   TPCC_DURATION=10m WAREHOUSES=10 scripts/sim-speed.sh tpcc
#   SWEEP_DURATION=10s scripts/sim-speed.sh sweep   (simulated time per point, 2s)
#   SWEEP_DURATION=60s SWEEP_RECORDS=100000 scripts/sim-speed.sh sweep   the issue's
#        own example (YCSB's default records, a minute a point; 10,000 records)
#   PIN=1 scripts/sim-speed.sh ycsb   every timed run pinned to CPU 1 (taskset -c),
#        so base and current run on the same core (this machine's CPU 0 is at
#        times 20-50% slower for memory-bound work; scripts/pair-speed.sh)
#   ENGINES=2pc REPS=7 scripts/sim-speed.sh ycsb   only the engines named
#   WARM=0 scripts/sim-speed.sh ycsb   no untimed run before each timed one
#        (see "ycsb" below)
#   REVERT="6c85a65 d5b9a34" scripts/sim-speed.sh ycsb   base = CUR without
#        those commits (reverse-applied), to isolate them from model changes
#        that landed in between
#
# ycsb:  YCSB-A, us-3, 64 clients, 30 simulated seconds, on each simulated
#        engine; the two revisions alternate run by run (the machine is
#        shared, so load drifts). Each run's CPU time is the process's
#        user+system time (bash times, see timed), load included; attempts come from
#        the results file (summary.attempts). Each timed run follows an
#        untimed run of the same binary and arguments (WARM=1, the
#        default): on this VM a process that starts right after another
#        has freed ~100 MB pays 0.1 s or so of system time faulting its
#        huge pages (measured: the current 2pc run took 0.56-0.62 CPU-s
#        right after a base run and 0.43-0.54 right after one of its own),
#        so with plain alternation the shorter revision inherited the
#        longer one's memory state in every other pair. Prints attempts per CPU-second
#        of each revision and their ratio, per run and as the median.
#        Also the ratio of the two revisions' best runs (most attempts per
#        CPU-second each: this machine's interference only ever adds time,
#        so a revision's best run is the closest to its own cost), and the
#        median ratio of simulated events per CPU-second
#        (sim_events): the models changed after 0831951 (occ makes 83,190
#        attempts in 30 s where it made 184,357), so an attempt is not the
#        same work in both revisions, while an event is closer to it.
# tpcc:  TPC-C on occ, 16 clients, WAREHOUSES warehouses (10), TPCC_DURATION
#        simulated (10m), current revision (and the base with TPCC_BASE=1):
#        wall time including the load, CPU time, peak RSS (MiB and MiB per
#        warehouse).
# sweep: a 5-point sweep over the three simulated engines with the current
#        revision, --parallel 1 and --parallel $(nproc), alternating; wall
#        times, their ratio, and whether the results files are identical
#        apart from the wall facts.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
BASE=${BASE:-0831951}
CUR=${CUR:-HEAD}
REPS=${REPS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { # revision, output binary, commits to reverse-apply
  mkdir -p "$work/src-$2"
  git archive "$1" | tar -x -C "$work/src-$2"
  for c in ${3:-}; do
    git show "$c" | (cd "$work/src-$2" && patch -s -R -p1)
  done
  (cd "$work/src-$2" && go build -o "$work/$2" ./cmd/bench)
}
if [[ -n ${REVERT:-} ]]; then
  build "$CUR" base "$REVERT"
  basename="$(git rev-parse --short "$CUR") without $REVERT"
else
  build "$BASE" base
  basename=$(git rev-parse --short "$BASE")
fi
build "$CUR" cur
echo "base $basename · current $(git rev-parse --short "$CUR") · $(nproc) cores${PIN:+, runs pinned to CPU $PIN} · load $(cut -d' ' -f1-3 /proc/loadavg)"

# timed: the CPU time is the subshell's children's, from bash's times (to
# the millisecond; /usr/bin/time prints user and system time to 10 ms,
# 2.5% of a 0.4 CPU-s run, so a run's ratio moved in steps of that size).
# It includes /usr/bin/time's own ~2 ms, kept for the wall time and the
# peak RSS: that slows the faster revision's figure a little more.
timed() { # tag, binary, args...: prints "cpu_seconds wall_seconds peak_rss_kib"
  local tag=$1 bin=$2; shift 2
  (
    /usr/bin/time -f '%e %M' -o "$work/$tag.time" ${PIN:+taskset -c "$PIN"} "$work/$bin" "$@" >/dev/null
    times >"$work/$tag.cpu"
  )
  # times prints the children's "XmY.YYYs XmY.YYYs" (user, system).
  local cpu
  cpu=$(tail -1 "$work/$tag.cpu" | tr "ms" "  " | awk '{printf "%.3f", $1 * 60 + $2 + $3 * 60 + $4}')
  awk -v c="$cpu" '{printf "%s %.2f %d\n", c, $1, $2}' "$work/$tag.time"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

if [[ $what == ycsb || $what == all ]]; then
  echo
  echo "YCSB-A, us-3, 64 clients, 30 s simulated: attempts per CPU-second (user+sys)"
  for engine in ${ENGINES:-occ 2pc sharded}; do
    : >"$work/ratios"
    : >"$work/base.rates"
    : >"$work/cur.rates"
    : >"$work/eratios"
    for rep in $(seq "$REPS"); do
      order="base cur"
      if ((rep % 2 == 0)); then order="cur base"; fi
      for rev in $order; do
        if [[ ${WARM:-1} == 1 ]]; then
          ${PIN:+taskset -c "$PIN"} "$work/$rev" run --engine "$engine" --workload ycsb-a --topology us-3 --clients 64 \
            --duration 30s --quiet --out "$work/warm.json" >/dev/null
        fi
        read -r cpu wall rss < <(timed "$engine-$rev-$rep" "$rev" run --engine "$engine" --workload ycsb-a \
          --topology us-3 --clients 64 --duration 30s --quiet --out "$work/$engine-$rev-$rep.json")
        attempts=$(jq .summary.attempts "$work/$engine-$rev-$rep.json")
        awk -v a="$attempts" -v c="$cpu" 'BEGIN {printf "%.0f\n", a / c}' >>"$work/$rev.rates"
        awk -v e="$(jq .sim_events "$work/$engine-$rev-$rep.json")" -v c="$cpu" 'BEGIN {printf "%.0f\n", e / c}' >"$work/$rev.erate"
        echo "  $engine $rev run $rep: $attempts attempts, $cpu CPU-s, $wall s wall, $((rss / 1024)) MiB"
      done
      paste <(tail -1 "$work/base.rates") <(tail -1 "$work/cur.rates") | awk '{printf "%.2f\n", $2 / $1}' >>"$work/ratios"
      paste "$work/base.erate" "$work/cur.erate" | awk '{printf "%.2f\n", $2 / $1}' >>"$work/eratios"
    done
    b=$(median <"$work/base.rates")
    c=$(median <"$work/cur.rates")
    best=$(awk -v b="$(sort -g "$work/base.rates" | tail -1)" -v c="$(sort -g "$work/cur.rates" | tail -1)" 'BEGIN {printf "%.2f", c / b}')
    echo "$engine: base $b, current $c attempts/CPU-s; ratio per run: $(paste -sd' ' "$work/ratios"); median ratio $(median <"$work/ratios") (best runs: $best; events per CPU-second: $(median <"$work/eratios"))"
  done
fi

if [[ $what == tpcc || $what == all ]]; then
  W=${WAREHOUSES:-10}
  D=${TPCC_DURATION:-10m}
  echo
  echo "TPC-C, occ, $W warehouses, 16 clients, $D simulated (wall time includes the load)"
  revs="cur"
  if [[ ${TPCC_BASE:-0} == 1 ]]; then revs="base cur"; fi
  for rev in $revs; do
    read -r cpu wall rss < <(timed "tpcc-$rev" "$rev" run --engine occ --workload tpcc --warehouses "$W" \
      --clients 16 --duration "$D" --quiet --out "$work/tpcc-$rev.json")
    echo "  $rev: $wall s wall, $cpu CPU-s, peak RSS $((rss / 1024)) MiB ($((rss / 1024 / W)) MiB per warehouse), tpmC $(jq '.workload_metrics[] | select(.name == "tpmC") | .value' "$work/tpcc-$rev.json")"
  done
fi

if [[ $what == sweep || $what == all ]]; then
  P=$(nproc)
  echo
  SD=${SWEEP_DURATION:-2s}
  SR=${SWEEP_RECORDS:-10000}
  echo "sweep: ycsb-a, zipf-constant=0.5,0.7,0.8,0.9,0.99, engines occ,2pc,sharded, $SR records, $SD: --parallel 1 vs $P"
  sweep() { # tag, parallel
    /usr/bin/time -f '%e' -o "$work/sweep-$1.time" "$work/cur" sweep --engines occ,2pc,sharded --workload ycsb-a \
      --records "$SR" --duration "$SD" --param zipf-constant=0.5,0.7,0.8,0.9,0.99 --parallel "$2" --quiet \
      --out-dir "$work/sweep-$1" >/dev/null
    cat "$work/sweep-$1.time"
  }
  : >"$work/sweep.ratios"
  for rep in $(seq "$REPS"); do
    if ((rep % 2)); then s=$(sweep "serial-$rep" 1); p=$(sweep "parallel-$rep" "$P")
    else p=$(sweep "parallel-$rep" "$P"); s=$(sweep "serial-$rep" 1); fi
    same=identical
    for f in "$work/sweep-serial-$rep"/*.json; do
      if ! cmp -s <(jq -S 'del(.wall)' "$f") <(jq -S 'del(.wall)' "$work/sweep-parallel-$rep/$(basename "$f")"); then
        same="DIFFERENT ($(basename "$f"))"
      fi
    done
    awk -v s="$s" -v p="$p" 'BEGIN {printf "%.2f\n", p / s}' >>"$work/sweep.ratios"
    echo "  run $rep: serial $s s, parallel $p s, ratio $(tail -1 "$work/sweep.ratios"); results $same"
  done
  echo "sweep: median parallel/serial wall-time ratio $(median <"$work/sweep.ratios")"
fi
