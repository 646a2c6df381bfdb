package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/dsn"
	"github.com/txbench/txbench/internal/option"
)

func init() {
	engines.Register(&engines.Meta{
		Name:        "pg",
		Aliases:     []string{"postgres", "postgresql"},
		Description: "a real PostgreSQL-compatible database through pgx/v5 (wall time)",
		// PostgreSQL's levels: REPEATABLE READ is snapshot isolation,
		// SERIALIZABLE is SSI (no real-time claim is made for other servers).
		Claims: map[string]string{"read-committed": "read-committed", "repeatable-read": "snapshot-isolation", "serializable": "serializable"},
		Configure: func(s *option.Set) engines.Builder {
			cfg := DefaultConfig()
			cfg.Declare(s)
			return func(env engines.Env) (engines.Engine, error) {
				cfg := cfg
				if env.Clients > 0 {
					cfg.Conns = env.Clients
				}
				cfg.partition = env.Partition
				cfg.statementTimeout = env.StatementTimeout
				ctx := context.Background()
				e, err := Open(ctx, cfg, env.Log)
				if err != nil {
					return nil, err
				}
				e.keep = env.Partitioned
				if err := e.lockRun(ctx, env.Partitioned); err != nil {
					e.Close()
					return nil, err
				}
				return e, nil
			}
		},
	})
}

// DefaultDSN is the local development server (trust authentication).
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test"

// Config selects the server and how transactions run on it.
type Config struct {
	// partition is the part of a partitioned run ("1/4"; "" when not
	// partitioned): it goes into the connections' application_name.
	partition string
	// statementTimeout is the run's --statement-timeout, set as
	// statement_timeout on every workload client's connection (session.go;
	// 0 = the server's).
	statementTimeout time.Duration
	DSN              string
	Isolation        string // read-committed | repeatable-read | serializable
	// Conns sizes the pool; the runner sets it to the client count.
	Conns int
	// Reconnects bounds how often one session reconnects in a row before
	// giving up (a server that stays down ends the run, it is not retried
	// forever).
	Reconnects int
}

var isolations = map[string]pgx.TxIsoLevel{
	"read-committed":  pgx.ReadCommitted,
	"repeatable-read": pgx.RepeatableRead,
	"serializable":    pgx.Serializable,
}

// DefaultConfig is the local server at read committed (PostgreSQL's own
// default level).
func DefaultConfig() Config {
	return Config{DSN: DefaultDSN, Isolation: "read-committed", Reconnects: 5, Conns: 16}
}

// Declare declares the pg options, bound to c's fields.
func (c *Config) Declare(s *option.Set) {
	s.String(&c.DSN, "dsn", func(v string) error {
		if v == "" {
			return errors.New("must not be empty")
		}
		return nil
	}, "connection string (URL or keyword/value); a password may also come from PGPASSWORD or ~/.pgpass and is never printed").
		Secret(dsn.Redact)
	s.Choice(&c.Isolation, "isolation", []string{"read-committed", "repeatable-read", "serializable"},
		"isolation level of every transaction, set on each connection")
}

// Engine is a connection pool to one database.
type Engine struct {
	cfg    Config
	pool   *pgxpool.Pool
	iso    pgx.TxIsoLevel
	log    io.Writer
	schema *engines.Schema
	stmts  map[*engines.Table]*tableSQL
	// keep: other processes share these tables (--partition); never drop.
	keep bool
	// ld copies loaded batches in the background until Flush.
	ld *loader
	// reconnections counts sessions that lost their connection and opened
	// a new one (in the results' notes).
	reconnections atomic.Int64
	// appName is the application_name of the run's connections.
	appName string
	// lockConn holds the run's advisory lock (see lockRun).
	lockConn *pgx.Conn
	// settings are the server's version and the settings that shape the
	// figures, read at Open (see Settings).
	settings map[string]string
}

// Open connects and checks that the server answers; an unreachable server
// is an error naming the (redacted) DSN.
func Open(ctx context.Context, cfg Config, log io.Writer) (*Engine, error) {
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("--dsn %s: %s", dsn.Redact(cfg.DSN), redactErr(err, cfg.DSN))
	}
	pc.MaxConns = int32(max(cfg.Conns+2, 4))
	// Implicit (single-statement) transactions must run at the configured
	// level too, not the server's default.
	level := strings.ReplaceAll(cfg.Isolation, "-", " ")
	pc.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET default_transaction_isolation = '"+level+"'")
		return err
	}
	pc.MinConns = 0
	// The run's connections are named, so that --fault kill-connections
	// ends exactly these backends.
	appName := newAppName(cfg.partition)
	pc.ConnConfig.RuntimeParams["application_name"] = appName
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("--dsn %s: %s", dsn.Redact(cfg.DSN), redactErr(err, cfg.DSN))
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("--dsn %s: cannot reach the server: %s", dsn.Redact(cfg.DSN), redactErr(err, cfg.DSN))
	}
	if log == nil {
		log = io.Discard
	}
	settings, err := readSettings(pctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("--dsn %s: reading the server's settings: %s", dsn.Redact(cfg.DSN), redactErr(err, cfg.DSN))
	}
	return &Engine{cfg: cfg, pool: pool, iso: isolations[cfg.Isolation], log: log, stmts: map[*engines.Table]*tableSQL{}, appName: appName,
		settings: settings}, nil
}

// serverSettings are the settings that shape a run's figures: the level a
// session starts at before bench sets its own, whether a commit waits for
// the WAL flush, and how many connections the server admits.
var serverSettings = []string{"default_transaction_isolation", "synchronous_commit", "max_connections"}

// readSettings reads the server's version and serverSettings, as the
// server reports them (the level is the server's default, not the
// session's: bench sets its own on connect).
func readSettings(ctx context.Context, pool *pgxpool.Pool) (map[string]string, error) {
	m := map[string]string{}
	var version string
	if err := pool.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return nil, err
	}
	m["server-version"] = version
	for _, name := range serverSettings {
		var v string
		if err := pool.QueryRow(ctx, "SELECT reset_val FROM pg_settings WHERE name = $1", name).Scan(&v); err != nil {
			return nil, err
		}
		m["server-"+name] = v
	}
	return m, nil
}

// Settings are the server's version and the settings that shape the
// figures (engines.Describer), recorded in the results' config.
func (e *Engine) Settings() map[string]string { return e.settings }

// redactErr keeps a driver message from echoing the DSN's secret.
func redactErr(err error, conn string) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if strings.Contains(conn, "@") || strings.Contains(strings.ToLower(conn), "password") {
		msg = strings.ReplaceAll(msg, conn, dsn.Redact(conn))
	}
	return dsn.KVPassword.ReplaceAllString(msg, "${1}xxxxx")
}

// Notes describe the server for the results file: version, the redacted
// DSN and the isolation level.
func (e *Engine) Notes() []string {
	var version string
	_ = e.pool.QueryRow(context.Background(), "SHOW server_version").Scan(&version)
	return []string{"server " + version, "dsn " + dsn.Redact(e.cfg.DSN), "isolation " + e.cfg.Isolation,
		fmt.Sprintf("%d reconnections after lost connections", e.reconnections.Load())}
}

// Pool exposes the pool (tests, schema tools).
func (e *Engine) Pool() *pgxpool.Pool { return e.pool }

// CreateSchema drops the workload's tables if they exist and creates them
// afresh, like pgbench -i: every run measures a freshly loaded database.
func (e *Engine) CreateSchema(ctx context.Context, s *engines.Schema) error {
	e.schema = s
	for _, t := range s.Tables {
		e.stmts[t] = newTableSQL(t)
	}
	if !e.keep {
		if err := e.Drop(ctx, s); err != nil {
			return fmt.Errorf("dropping old tables: %w", err)
		}
	}
	for _, ddl := range DDL(s) {
		if err := e.createTable(ctx, ddl); err != nil {
			return fmt.Errorf("creating tables: %w", err)
		}
	}
	return nil
}

// createTable runs one CREATE TABLE IF NOT EXISTS. When several processes
// create the same tables at once (--partition), PostgreSQL can fail the
// losers with a catalog unique violation, "tuple concurrently updated" or a
// deadlock; the table then exists or the next try succeeds.
func (e *Engine) createTable(ctx context.Context, ddl string) error {
	var err error
	for try := range 5 {
		if _, err = e.pool.Exec(ctx, ddl); err == nil || !e.keep {
			return err
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P07") {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(20<<try) * time.Millisecond):
		}
	}
	return err
}

// loadWorkers is how many COPY streams run at once: loading is bound by the
// server, and a few connections keep it busy while the workload generates
// the next batches.
const loadWorkers = 4

// loader runs COPY for batches in the background and reports progress.
type loader struct {
	jobs    chan loadJob
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
	rows    map[string]int64
	started time.Time
	stop    chan struct{}
}

type loadJob struct {
	t    *engines.Table
	rows []engines.Row
}

// Load hands a batch to the COPY workers (started on first use) and returns;
// Flush waits for them. The first error stops further copying.
func (e *Engine) Load(ctx context.Context, t *engines.Table, rows []engines.Row) error {
	if e.ld == nil {
		e.startLoader(ctx)
	}
	e.ld.mu.Lock()
	err := e.ld.err
	e.ld.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case e.ld.jobs <- loadJob{t, rows}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) startLoader(ctx context.Context) {
	ld := &loader{jobs: make(chan loadJob, loadWorkers), rows: map[string]int64{}, started: time.Now(), stop: make(chan struct{})}
	e.ld = ld
	for range loadWorkers {
		ld.wg.Add(1)
		go func() {
			defer ld.wg.Done()
			for j := range ld.jobs {
				ld.mu.Lock()
				failed := ld.err != nil
				ld.mu.Unlock()
				if failed {
					continue // drain
				}
				err := e.copyRows(ctx, j.t, j.rows)
				ld.mu.Lock()
				if err != nil && ld.err == nil {
					ld.err = err
				}
				ld.rows[j.t.Name] += int64(len(j.rows))
				ld.mu.Unlock()
			}
		}()
	}
	go func() { // a progress line every few seconds
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ld.stop:
				return
			case <-tick.C:
				fmt.Fprintf(e.log, "loading: %s\n", ld.progress())
			}
		}
	}()
}

func (ld *loader) progress() string {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	var total int64
	names := make([]string, 0, len(ld.rows))
	for n, c := range ld.rows {
		total += c
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, ld.rows[n]))
	}
	secs := time.Since(ld.started).Seconds()
	return fmt.Sprintf("%d rows in %.0fs (%.0f rows/s): %s", total, secs, float64(total)/max(secs, 1e-9), strings.Join(parts, ", "))
}

// Flush waits for every COPY to finish and returns the first error.
func (e *Engine) Flush(ctx context.Context) error {
	ld := e.ld
	if ld == nil {
		return nil
	}
	e.ld = nil
	close(ld.jobs)
	ld.wg.Wait()
	close(ld.stop)
	if ld.err == nil {
		fmt.Fprintf(e.log, "loaded: %s\n", ld.progress())
	}
	return ld.err
}

// copyRows copies one batch with COPY (pgx CopyFrom).
func (e *Engine) copyRows(ctx context.Context, t *engines.Table, rows []engines.Row) error {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = c.Name
	}
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		vals := make([]any, len(rows[i]))
		for j, v := range rows[i] {
			vals[j] = arg(v)
		}
		return vals, nil
	})
	if _, err := e.pool.CopyFrom(ctx, pgx.Identifier{t.Name}, cols, src); err != nil {
		return fmt.Errorf("loading %s: %w", t.Name, err)
	}
	return nil
}

// loadsTable records, per table, which load it holds (--reuse).
const loadsTable = "txbench_loads"

// MarkLoaded implements engines.Reuser: it records the fingerprint and each
// table's row count.
func (e *Engine) MarkLoaded(ctx context.Context, s *engines.Schema, fingerprint string) error {
	if _, err := e.pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+loadsTable+
		" (tbl text PRIMARY KEY, fingerprint text NOT NULL, row_count bigint NOT NULL)"); err != nil {
		return err
	}
	for _, t := range s.Tables {
		var n int64
		if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM "+ident(t.Name)).Scan(&n); err != nil {
			return err
		}
		if _, err := e.pool.Exec(ctx, "INSERT INTO "+loadsTable+" VALUES ($1, $2, $3) "+
			"ON CONFLICT (tbl) DO UPDATE SET fingerprint = excluded.fingerprint, row_count = excluded.row_count",
			t.Name, fingerprint, n); err != nil {
			return err
		}
	}
	return nil
}

// Reuse implements engines.Reuser: every table must carry the fingerprint
// and still hold the rows counted at load time (a run that inserted or
// deleted rows — TPC-C's New-Order, Delivery — makes the data unusable for
// a fresh start, and is reloaded).
func (e *Engine) Reuse(ctx context.Context, s *engines.Schema, fingerprint string) (bool, string, error) {
	for _, t := range s.Tables {
		var fp string
		var recorded, now int64
		err := e.pool.QueryRow(ctx, "SELECT fingerprint, row_count FROM "+loadsTable+" WHERE tbl = $1", t.Name).Scan(&fp, &recorded)
		if err != nil {
			return false, fmt.Sprintf("no load recorded for table %s", t.Name), nil
		}
		if fp != fingerprint {
			return false, fmt.Sprintf("table %s holds another load (%s)", t.Name, fp), nil
		}
		if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM "+ident(t.Name)).Scan(&now); err != nil {
			return false, fmt.Sprintf("table %s: %v", t.Name, err), nil
		}
		if now != recorded {
			return false, fmt.Sprintf("table %s has %d rows, %d when loaded (a run changed it)", t.Name, now, recorded), nil
		}
	}
	e.schema = s
	for _, t := range s.Tables {
		e.stmts[t] = newTableSQL(t)
	}
	return true, "", nil
}

// Drop removes the schema's tables (bench cleanup).
func (e *Engine) Drop(ctx context.Context, s *engines.Schema) error {
	var errs []error
	for i := len(s.Tables) - 1; i >= 0; i-- {
		if _, err := e.pool.Exec(ctx, "DROP TABLE IF EXISTS "+ident(s.Tables[i].Name)); err != nil {
			errs = append(errs, err)
		}
		// Forget the table's recorded load, if the record table exists.
		_, _ = e.pool.Exec(ctx, "DELETE FROM "+loadsTable+" WHERE tbl = $1", s.Tables[i].Name)
	}
	return errors.Join(errs...)
}

// Close closes the pool.
func (e *Engine) Close() error {
	if e.lockConn != nil {
		// Release the lock before hanging up: a closed connection's
		// backend exits (and drops its locks) after Close has returned,
		// so a run started right after this one could still find it held.
		// A bounded wait: a lost server must not stall Close.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = e.lockConn.Exec(ctx, "SELECT pg_advisory_unlock_all()")
		e.lockConn.Close(ctx)
		cancel()
		e.lockConn = nil
	}
	e.pool.Close()
	return nil
}
