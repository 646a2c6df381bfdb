package pg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// runLockKey is the advisory lock a run holds on its database, so that two
// runs cannot overwrite each other's tables and both report figures: the
// second is refused before it touches anything. Advisory locks are per
// database, so runs on different databases of one server do not meet.
const runLockKey int64 = 0x7478_6265_6e63_6801 // "txbench" + 1

// lockRun takes the run's advisory lock on a connection it keeps until
// Close: exclusive for an ordinary run, shared by the processes of one
// partitioned run (each holds it shared, so an ordinary run cannot start
// among them). When another run holds it, the error names the holder.
func (e *Engine) lockRun(ctx context.Context, shared bool) error {
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("taking the run lock: %w", err)
	}
	fn := "pg_try_advisory_lock"
	if shared {
		fn = "pg_try_advisory_lock_shared"
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT "+fn+"($1)", runLockKey).Scan(&ok); err != nil {
		conn.Release()
		return fmt.Errorf("taking the run lock: %w", err)
	}
	if !ok {
		holder := describeHolder(ctx, e.pool)
		conn.Release()
		return fmt.Errorf("another bench run is using this database (%s): wait for it to finish, or give it a database of its own (--dsn)", holder)
	}
	// Its own application_name keeps --fault kill-connections (which ends
	// the run's backends by name) from ending the lock with them.
	if _, err := conn.Exec(ctx, "SET application_name = '"+e.appName+"-lock'"); err != nil {
		conn.Release()
		return fmt.Errorf("taking the run lock: %w", err)
	}
	// The connection leaves the pool: no session uses it, and closing it
	// (Close) ends the lock.
	e.lockConn = conn.Hijack()
	return nil
}

// describeHolder names the sessions that hold the run lock: application
// name (txbench-PID-N), client address, backend pid and since when.
func describeHolder(ctx context.Context, pool *pgxpool.Pool) string {
	rows, err := pool.Query(ctx, `
		SELECT coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), a.pid, a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted
		  AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, runLockKey)
	if err != nil {
		return "holder unknown: " + err.Error()
	}
	type holder struct {
		app, addr string
		pid       int32
		since     time.Time
	}
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (holder, error) {
		var h holder
		err := r.Scan(&h.app, &h.addr, &h.pid, &h.since)
		return h, err
	})
	if err != nil || len(hs) == 0 {
		return "holder unknown" + errSuffix(err)
	}
	h := hs[0]
	s := fmt.Sprintf("held by %s from %s, backend pid %d, since %s", h.app, h.addr, h.pid, h.since.UTC().Format(time.RFC3339))
	if len(hs) > 1 {
		s += fmt.Sprintf(" and %d more", len(hs)-1)
	}
	return s
}

func errSuffix(err error) string {
	if err == nil || errors.Is(err, context.Canceled) {
		return ""
	}
	return ": " + err.Error()
}
