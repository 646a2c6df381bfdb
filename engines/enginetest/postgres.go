package enginetest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/txbench/txbench/engines/pg"
)

var dbSeq atomic.Int64

// PostgresDB creates a fresh database on the test server and drops it when
// the test ends, returning its DSN. The server is TXBENCH_TEST_DSN, else
// the local development server; without one the test skips — except under
// CI=true, where it fails.
func PostgresDB(t testing.TB) string {
	t.Helper()
	return postgresDB(t, t)
}

// postgresDB is PostgresDB for t, dropped when owner ends.
func postgresDB(t, owner testing.TB) string {
	t.Helper()
	admin := os.Getenv("TXBENCH_TEST_DSN")
	if admin == "" {
		admin = pg.DefaultDSN
	}
	ctx := context.Background()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, admin)
	if err != nil {
		msg := fmt.Sprintf("no PostgreSQL at %s (%v); start one or set TXBENCH_TEST_DSN=postgres://user@host:port/db to a server where the user may create databases", admin, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("txbench_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	owner.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			owner.Errorf("dropping %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			owner.Errorf("dropping %s: %v", name, err)
		}
	})
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, name)
}

// PostgresTargets are the pg engine at read committed, repeatable read
// and serializable, allowing what PostgreSQL documents. They share one
// database, created on first use and dropped when owner ends; each probe
// recreates the tables.
func PostgresTargets(owner *testing.T) []Target {
	var dsn string
	open := func(isolation string) func(t *testing.T, keys int) *World {
		return func(t *testing.T, keys int) *World {
			if dsn == "" {
				dsn = postgresDB(t, owner)
			}
			ctx := context.Background()
			e, err := pg.Open(ctx, pg.Config{DSN: dsn, Isolation: isolation, Conns: 4, Reconnects: 3}, nil)
			Must(t, err)
			t.Cleanup(func() { e.Close() })
			Must(t, e.CreateSchema(ctx, KV))
			Must(t, e.Load(ctx, Table, Rows(keys)))
			Must(t, e.Load(ctx, Ref, Rows(keys)))
			Must(t, e.Flush(ctx))
			return WallWorld(e)
		}
	}
	return []Target{
		{Name: "pg/read-committed", Allows: ReadCommittedAnomalies, Open: open("read-committed")},
		{Name: "pg/repeatable-read", Allows: SnapshotAnomalies, Open: open("repeatable-read")},
		{Name: "pg/serializable", Allows: nil, Open: open("serializable")},
	}
}
