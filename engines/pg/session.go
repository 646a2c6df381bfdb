package pg

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/txbench/txbench/engines"
)

// session holds one pooled connection for one client.
type session struct {
	e    *Engine
	conn *pgxpool.Conn
	// broken marks a connection lost mid-transaction; the next Begin
	// reconnects.
	broken bool
	// timeout is the statement_timeout this session's connection runs
	// with (a client's, with --statement-timeout; 0: the server's).
	timeout time.Duration
}

// Session acquires a connection for a client. A workload client's
// connection runs with the run's --statement-timeout; the runner's own
// sessions (ID -1: checks, barriers) and the load do not.
func (e *Engine) Session(ctx context.Context, c engines.Client) (engines.Session, error) {
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pg: connecting: %s", redactErr(err, e.cfg.DSN))
	}
	s := &session{e: e, conn: conn}
	if c.ID >= 0 {
		s.timeout = e.cfg.statementTimeout
	}
	if err := s.setTimeout(ctx); err != nil {
		conn.Release()
		return nil, fmt.Errorf("pg: setting statement_timeout: %s", redactErr(err, e.cfg.DSN))
	}
	return s, nil
}

// setTimeout sets the session's statement_timeout on its connection (in
// milliseconds, PostgreSQL's unit for a bare number); a statement past it
// fails with 57014, which classify turns into a statement-timeout abort.
func (s *session) setTimeout(ctx context.Context) error {
	if s.timeout <= 0 {
		return nil
	}
	_, err := s.conn.Exec(ctx, "SET statement_timeout = "+strconv.FormatInt(max(s.timeout.Milliseconds(), 1), 10))
	return err
}

func (s *session) Close() error {
	if s.conn != nil {
		if s.timeout > 0 && !s.broken {
			// The pool hands the connection to others (the load, checks).
			if _, err := s.conn.Exec(context.Background(), "RESET statement_timeout"); err != nil {
				_ = s.conn.Conn().Close(context.Background())
			}
		}
		s.conn.Release()
		s.conn = nil
	}
	return nil
}

// reconnect replaces a lost connection, a bounded number of times with a
// short backoff, so a restarted backend does not end the run but a server
// that stays down does.
func (s *session) reconnect(ctx context.Context) error {
	if s.conn != nil {
		s.conn.Release()
		s.conn = nil
	}
	var err error
	for i := range s.e.cfg.Reconnects {
		var c *pgxpool.Conn
		if c, err = s.e.pool.Acquire(ctx); err == nil {
			if err = c.Ping(ctx); err == nil {
				s.conn, s.broken = c, false
				if err = s.setTimeout(ctx); err == nil {
					s.e.reconnections.Add(1)
					return nil
				}
				s.conn = nil
			}
			c.Release()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(50<<i) * time.Millisecond):
		}
	}
	return &engines.AbortError{Reason: engines.ReasonConnection, Retryable: false,
		Err: fmt.Errorf("reconnecting failed %d times: %s", s.e.cfg.Reconnects, redactErr(err, s.e.cfg.DSN))}
}

func (s *session) Begin(ctx context.Context, o engines.TxnOptions) (engines.Txn, error) {
	if s.broken || s.conn == nil {
		if err := s.reconnect(ctx); err != nil {
			return nil, err
		}
	}
	if o.SingleStatement {
		// One statement: an implicit transaction at the session's default
		// isolation (set on connect) — one round trip, as pgbench -S does.
		return &txn{s: s, q: s.conn, ro: o.ReadOnly, autocommit: true}, nil
	}
	mode := pgx.ReadWrite
	if o.ReadOnly {
		mode = pgx.ReadOnly
	}
	tx, err := s.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: s.e.iso, AccessMode: mode})
	if err != nil {
		return nil, s.fail(err)
	}
	return &txn{s: s, q: tx, tx: tx, ro: o.ReadOnly}, nil
}

// querier is what statements run on: a transaction, or the connection
// itself for an implicit single-statement transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// fail classifies err and marks the connection for replacement when it
// was lost.
func (s *session) fail(err error) error {
	err = classify(err)
	if a, ok := engines.AsAbort(err); ok && a.Reason == engines.ReasonConnection {
		s.broken = true
	} else if s.conn != nil && s.conn.Conn().IsClosed() {
		s.broken = true
	}
	return err
}

// txn is one attempt on the session's connection.
type txn struct {
	s  *session
	q  querier
	tx pgx.Tx // nil for an implicit transaction
	ro bool
	// autocommit: the statement commits by itself; a second one is a
	// broken promise by the workload.
	autocommit bool
	statements int
	done       bool
}

// use counts a statement and returns what to run it on.
func (t *txn) use() (querier, error) {
	t.statements++
	if t.autocommit && t.statements > 1 {
		return nil, errors.New("pg: a transaction declared as a single statement ran a second one")
	}
	return t.q, nil
}

// sql returns the table's statement texts. They are all built before any
// client starts (CreateSchema, Reuse), so the map is only read here, by
// every client at once, without a lock; a table outside the schema gets
// texts built for the one call.
func (t *txn) sql(tb *engines.Table) *tableSQL {
	if s := t.s.e.stmts[tb]; s != nil {
		return s
	}
	return newTableSQL(tb)
}

// abort ends the attempt after an error: a classified abort rolls back
// (PostgreSQL has already aborted the transaction) and is returned as is.
func (t *txn) abort(ctx context.Context, err error) error {
	err = t.s.fail(err)
	if _, ok := engines.AsAbort(err); ok {
		t.done = true
		if !t.s.broken && t.tx != nil {
			_ = t.tx.Rollback(ctx)
		}
	}
	return err
}

func keyArgs(k engines.Key) []any {
	args := make([]any, len(k))
	for i, v := range k {
		args[i] = arg(v)
	}
	return args
}

func (t *txn) get(ctx context.Context, q string, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	db, err := t.use()
	if err != nil {
		return nil, false, err
	}
	rows, err := db.Query(ctx, q, keyArgs(k)...)
	if err != nil {
		return nil, false, t.abort(ctx, err)
	}
	got, err := collect(rows, tb)
	if err != nil {
		return nil, false, t.abort(ctx, err)
	}
	if len(got) == 0 {
		return nil, false, nil
	}
	return got[0], true, nil
}

func (t *txn) Get(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	return t.get(ctx, t.sql(tb).get, tb, k)
}

func (t *txn) GetForUpdate(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	return t.get(ctx, t.sql(tb).getForUpd, tb, k)
}

// Scan is a query on the primary key.
func (t *txn) Scan(ctx context.Context, tb *engines.Table, s engines.ScanSpec) ([]engines.Row, error) {
	return t.Query(ctx, tb, engines.Query{Start: s.Start, End: s.End, EndInclusivePrefix: s.EndInclusivePrefix, Reverse: s.Reverse, Limit: s.Limit})
}

func (t *txn) exec(ctx context.Context, q string, args []any, none error) error {
	if t.ro {
		return engines.ErrReadOnly
	}
	db, err := t.use()
	if err != nil {
		return err
	}
	tag, err := db.Exec(ctx, q, args...)
	if err != nil {
		return t.abort(ctx, err)
	}
	if tag.RowsAffected() == 0 {
		return none
	}
	return nil
}

func (t *txn) Insert(ctx context.Context, tb *engines.Table, r engines.Row) error {
	if err := tb.CheckRow(r); err != nil {
		return err
	}
	return t.exec(ctx, t.sql(tb).insert, keyArgs(engines.Key(r)), engines.ErrDuplicateKey)
}

func (t *txn) Update(ctx context.Context, tb *engines.Table, k engines.Key, sets ...engines.Set) error {
	if len(sets) == 0 {
		_, ok, err := t.Get(ctx, tb, k)
		if err == nil && !ok {
			err = engines.ErrNotFound
		}
		return err
	}
	args := make([]any, 0, len(sets)+len(k))
	for _, s := range sets {
		args = append(args, arg(s.Val))
	}
	return t.exec(ctx, t.sql(tb).update(sets), append(args, keyArgs(k)...), engines.ErrNotFound)
}

func (t *txn) Delete(ctx context.Context, tb *engines.Table, k engines.Key) error {
	return t.exec(ctx, t.sql(tb).delete, keyArgs(k), engines.ErrNotFound)
}

func (t *txn) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("pg: transaction already finished")
	}
	t.done = true
	if t.tx == nil {
		return nil // the implicit transaction committed with its statement
	}
	if err := t.tx.Commit(ctx); err != nil {
		return t.s.fail(err)
	}
	return nil
}

func (t *txn) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	if t.tx == nil {
		return nil
	}
	if err := t.tx.Rollback(ctx); err != nil {
		return t.s.fail(err)
	}
	return nil
}

// collect decodes rows into typed Values by the table's column types. It
// reads the wire values directly (text as its bytes, int8/float8/timestamp
// in their fixed binary layouts), which avoids most of the allocations of
// decoding into interface values: the client's own CPU per transaction is
// one of the figures this tool is judged by. Anything unexpected falls back
// to pgx's decoder.
func collect(rows pgx.Rows, tb *engines.Table) ([]engines.Row, error) {
	defer rows.Close()
	var out []engines.Row
	fields := rows.FieldDescriptions()
	for rows.Next() {
		raw := rows.RawValues()
		r := make(engines.Row, len(raw))
		fast := len(raw) == len(tb.Columns)
		// One allocation holds every text column of the row; the values
		// are substrings of it (a 10-field YCSB row: 1 allocation, not 10).
		text := 0
		for i := 0; fast && i < len(raw); i++ {
			if tb.Columns[i].Type == engines.TypeString {
				text += len(raw[i])
			}
		}
		var buf []byte
		if fast && text > 0 {
			buf = make([]byte, 0, text)
		}
		for i := 0; fast && i < len(raw); i++ {
			if tb.Columns[i].Type == engines.TypeString && raw[i] != nil {
				start := len(buf)
				buf = append(buf, raw[i]...)
				// buf is never written again after this loop.
				r[i] = engines.String(unsafe.String(unsafe.SliceData(buf[start:]), len(raw[i])))
				continue
			}
			r[i], fast = decodeRaw(raw[i], fields[i].Format, tb.Columns[i])
		}
		if !fast {
			vals, err := rows.Values()
			if err != nil {
				return nil, err
			}
			for i, v := range vals {
				if r[i], err = toValue(v, tb.Columns[i]); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// pgEpoch is where PostgreSQL's binary timestamps count from.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// decodeRaw decodes one wire value; ok is false when it cannot.
func decodeRaw(b []byte, format int16, c engines.Column) (engines.Value, bool) {
	if b == nil {
		return engines.Null, true
	}
	const binary = 1
	switch c.Type {
	case engines.TypeString:
		return engines.String(string(b)), true // text is its bytes in both formats
	case engines.TypeInt:
		if format == binary && len(b) == 8 {
			return engines.Int(int64(binaryBE.Uint64(b))), true
		}
		if format != binary {
			if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
				return engines.Int(n), true
			}
		}
	case engines.TypeFloat:
		if format == binary && len(b) == 8 {
			return engines.Float(math.Float64frombits(binaryBE.Uint64(b))), true
		}
	case engines.TypeTimestamp:
		if format == binary && len(b) == 8 {
			us := int64(binaryBE.Uint64(b))
			return engines.Timestamp(pgEpoch.Add(time.Duration(us) * time.Microsecond)), true
		}
	case engines.TypeDecimal:
		if format == binary {
			return decodeNumeric(b, c.Scale)
		}
		if d, err := engines.ParseDecimal(string(b), c.Scale); err == nil {
			return engines.DecimalValue(d), true
		}
	}
	return engines.Null, false
}

var binaryBE = binary.BigEndian

func toValue(v any, c engines.Column) (engines.Value, error) {
	if v == nil {
		return engines.Null, nil
	}
	switch x := v.(type) {
	case int64:
		return engines.Int(x), nil
	case int32:
		return engines.Int(int64(x)), nil
	case float64:
		return engines.Float(x), nil
	case string:
		return engines.String(x), nil
	case time.Time:
		return engines.Timestamp(x), nil
	case pgtype.Numeric:
		return numericValue(x, c)
	}
	return engines.Null, fmt.Errorf("pg: column %s: unexpected %T", c.Name, v)
}
