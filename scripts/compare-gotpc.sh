#!/usr/bin/env bash
# TPC-C on PostgreSQL: bench's pg engine against go-tpc (github.com/pingcap/go-tpc,
# built from its public source; pass its binary), side by side on the same
# server, alternating, ROUNDS times: WAREHOUSES warehouses, CLIENTS clients,
# DURATION seconds each, no keying/think times, read committed (PostgreSQL's
# default; go-tpc --isolation 0 keeps it, bench says --isolation read-committed).
#
# Usage: scripts/compare-gotpc.sh /path/to/go-tpc
#   SERVER=postgres://postgres@127.0.0.1:5432 ROUNDS=3 DURATION=30 scripts/compare-gotpc.sh ./go-tpc
#   KEEP_GOTPC=1 GOTPC_DB=name ...   reuse the go-tpc database a previous call prepared (its
#                      prepare takes minutes); it is left in place either way.
#
# Figures: tpmC as each tool reports it (New-Orders per minute); client CPU
# per transaction = the client's user+system CPU over the run / transactions
# of every type. go-tpc's CPU is its process's (/usr/bin/time, the run
# command alone, after prepare); bench's is the run's own
# (wall.client_cpu_seconds, loading excluded; --warmup 0 so every measured
# transaction is in it). bench loads afresh each round (TPC-C changes the
# data); go-tpc's database keeps growing over the rounds, as it does when run
# repeatedly.
set -euo pipefail
gotpc=${1:?usage: scripts/compare-gotpc.sh /path/to/go-tpc}
cd "$(dirname "$0")/.."
SERVER=${SERVER:-postgres://postgres@127.0.0.1:5432}
WAREHOUSES=${WAREHOUSES:-2}
CLIENTS=${CLIENTS:-4}
DURATION=${DURATION:-30}
ROUNDS=${ROUNDS:-3}
DB=txbench_tpcc_cmp
GDB=${GOTPC_DB:-gotpc_tpcc_cmp}
hostport=${SERVER#*://}; hostport=${hostport#*@}
host=${hostport%%:*}; port=${hostport##*:}
user=${SERVER#*://}; user=${user%%@*}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/bench" ./cmd/bench
psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
g=("$gotpc" tpcc --driver postgres -H "$host" -P "$port" -U "$user" -D "$GDB" --warehouses "$WAREHOUSES"
  -T "$CLIENTS" --conn-params sslmode=disable)
if [ "${KEEP_GOTPC:-0}" != 1 ]; then
  psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $GDB WITH (FORCE)" -c "CREATE DATABASE $GDB" >/dev/null
  echo "go-tpc prepare ($WAREHOUSES warehouses) ..." >&2
  "${g[@]}" prepare >"$work/prepare.log" 2>&1
fi

for r in $(seq "$ROUNDS"); do
  echo "round $r: bench ..." >&2
  "$work/bench" run --engine pg --dsn "$SERVER/$DB" --workload tpcc --warehouses "$WAREHOUSES" \
    --clients "$CLIENTS" --duration "${DURATION}s" --warmup 0s --isolation read-committed \
    --quiet --out "$work/bench-$r.json" >/dev/null
  echo "round $r: go-tpc ..." >&2
  /usr/bin/time -f 'CPU %U %S' -o "$work/gotpc-$r.time" \
    "${g[@]}" run --time "${DURATION}s" >"$work/gotpc-$r.out" 2>&1
done

python3 - "$work" "$ROUNDS" "$DURATION" "$WAREHOUSES" "$CLIENTS" <<'PY'
import json, re, statistics, sys
work, rounds, dur = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rows = []
for r in range(1, rounds + 1):
    b = json.load(open(f"{work}/bench-{r}.json"))
    m = {x["name"]: x["value"] for x in b["workload_metrics"]}
    btx = b["summary"]["committed"]
    bcpu = b["wall"]["client_cpu_seconds"]
    out = open(f"{work}/gotpc-{r}.out").read()
    s = re.search(r"tpmC: ([0-9.]+), tpmTotal: ([0-9.]+)", out)
    cpu = open(f"{work}/gotpc-{r}.time").read().split()
    gcpu = float(cpu[-2]) + float(cpu[-1])
    gtx = float(s.group(2)) * dur / 60
    rows.append((m["tpmC"], 1e6 * bcpu / btx, float(s.group(1)), 1e6 * gcpu / gtx))
print(f"TPC-C on PostgreSQL, {sys.argv[4]} warehouses, {sys.argv[5]} clients, {dur:.0f} s per run, read committed, no wait times")
print(f"{'round':>5} {'bench tpmC':>11} {'go-tpc tpmC':>12} {'ratio':>6}   {'bench CPU µs/txn':>16} {'go-tpc CPU µs/txn':>17} {'ratio':>6}")
for i, (bt, bc, gt, gc) in enumerate(rows, 1):
    print(f"{i:>5} {bt:11.0f} {gt:12.0f} {bt / gt:6.2f}   {bc:16.0f} {gc:17.0f} {bc / gc:6.2f}")
med = [statistics.median(c) for c in zip(*rows)]
print(f"{'median':>5} {med[0]:11.0f} {med[2]:12.0f} {med[0] / med[2]:6.2f}   {med[1]:16.0f} {med[3]:17.0f} {med[1] / med[3]:6.2f}")
PY
