#!/usr/bin/env bash
# Client CPU per transaction of bench's pg engine against pgbench, on the same
# server in the same session: YCSB-C (single-row primary-key reads) against
# `pgbench -S` (single-row primary-key reads), same connection count.
#
# Usage: scripts/compare-pgbench.sh            (local server, trust auth)
#   SERVER=postgres://user@host:5432 CLIENTS=8 DURATION=15 scripts/compare-pgbench.sh
#
# The client CPU of pgbench is its process's user+system time (/usr/bin/time);
# bench reports its own in the results file (wall.client_cpu_seconds, which
# covers the run and excludes loading).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${SERVER:-postgres://postgres@127.0.0.1:5432}
CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-15}
DB=txbench_pgbench_cmp
work=$(mktemp -d)
psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
trap 'psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf "$work"' EXIT

go build -o "$work/bench" ./cmd/bench

pgbench -i -s 10 -q "$SERVER/$DB" >/dev/null 2>&1
/usr/bin/time -f 'CPU %U %S' -o "$work/pgbench.time" \
  pgbench -S -n -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" "$SERVER/$DB" >"$work/pgbench.out"
pg_txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.out")
pg_cpu=$(awk '/^CPU/ {print $2 + $3}' "$work/pgbench.time")

run_bench() { # name, extra flags...
  local name=$1; shift
  "$work/bench" run --engine pg --dsn "$SERVER/$DB" --workload ycsb-c --clients "$CLIENTS" \
    --duration "${DURATION}s" --warmup 0s --quiet --out "$work/$name.json" "$@" >/dev/null
  python3 - "$work/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(r["summary"]["committed"], r["wall"]["client_cpu_seconds"])
PY
}

read -r b1_txns b1_cpu < <(run_bench ycsbc-slim --records 1000000 --field-count 1 --field-length 84)
read -r b2_txns b2_cpu < <(run_bench ycsbc --records 100000)

python3 - "$pg_txns" "$pg_cpu" "$b1_txns" "$b1_cpu" "$b2_txns" "$b2_cpu" "$CLIENTS" "$DURATION" <<'PY'
import sys
pg_t, pg_c, b1_t, b1_c, b2_t, b2_c = map(float, sys.argv[1:7])
clients, dur = sys.argv[7], sys.argv[8]
def us(c, t): return 1e6 * c / t
print(f"clients {clients}, {dur}s each, same server")
print(f"{'driver':44} {'txns':>9} {'client CPU s':>12} {'CPU µs/txn':>11} {'vs pgbench':>10}")
base = us(pg_c, pg_t)
for name, t, c in [("pgbench -S -M prepared (accounts rows ~100 B)", pg_t, pg_c),
                   ("bench ycsb-c, 1 field × 84 B (~100 B rows)", b1_t, b1_c),
                   ("bench ycsb-c, 10 fields × 100 B (YCSB rows)", b2_t, b2_c)]:
    print(f"{name:44} {t:9.0f} {c:12.2f} {us(c, t):11.1f} {us(c, t) / base:9.2f}×")
PY
