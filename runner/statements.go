package runner

import (
	"context"
	"slices"
	"time"

	"github.com/txbench/txbench/engines"
)

// Statement kinds: the keys of summary.statement_latency_ms. Each engine
// call a workload makes is one statement, timed by the client from the call
// to its return (for simulated engines in virtual time).
const (
	StmtRead          = "read"            // SELECT by primary key
	StmtReadForUpdate = "read_for_update" // SELECT ... FOR UPDATE
	StmtScan          = "scan"            // range SELECT
	StmtWrite         = "write"           // UPDATE
	StmtInsert        = "insert"
	StmtDelete        = "delete"
	StmtCommit        = "commit" // COMMIT (successful ones)
)

// statementKinds is the order statements are reported in.
var statementKinds = []string{StmtRead, StmtReadForUpdate, StmtScan, StmtWrite, StmtInsert, StmtDelete, StmtCommit}

// StatementKinds lists the statement kinds in report order.
func StatementKinds() []string { return slices.Clone(statementKinds) }

// StatementTiming is one statement's latency within an attempt.
type StatementTiming struct {
	Kind    string
	Latency time.Duration
}

// timedTxn times every statement of an attempt. Statements that end the
// attempt with an abort are not counted: their latency says when the engine
// gave up, not what the statement costs. A statement whose result is a
// row-level error (not found, duplicate key) counts. One timedTxn per client
// is reused for every attempt, so timing allocates nothing per statement.
type timedTxn struct {
	engines.Txn
	clk   clock
	stmts []StatementTiming
}

func (t *timedTxn) reset(tx engines.Txn) {
	t.Txn = tx
	t.stmts = t.stmts[:0]
}

func (t *timedTxn) note(ctx context.Context, kind string, start time.Duration, err error) {
	if _, aborted := engines.AsAbort(err); aborted {
		return
	}
	if err != nil && ctx.Err() != nil {
		return
	}
	t.stmts = append(t.stmts, StatementTiming{Kind: kind, Latency: t.clk.now(ctx) - start})
}

func (t *timedTxn) Get(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	start := t.clk.now(ctx)
	r, ok, err := t.Txn.Get(ctx, tb, k)
	t.note(ctx, StmtRead, start, err)
	return r, ok, err
}

// GetInto implements engines.IntoGetter: a read into the workload's
// buffer, timed as Get.
func (t *timedTxn) GetInto(ctx context.Context, tb *engines.Table, k engines.Key, dst engines.Row) (engines.Row, bool, error) {
	start := t.clk.now(ctx)
	r, ok, err := engines.GetInto(ctx, t.Txn, tb, k, dst)
	t.note(ctx, StmtRead, start, err)
	return r, ok, err
}

func (t *timedTxn) GetForUpdate(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	start := t.clk.now(ctx)
	r, ok, err := t.Txn.GetForUpdate(ctx, tb, k)
	t.note(ctx, StmtReadForUpdate, start, err)
	return r, ok, err
}

func (t *timedTxn) Scan(ctx context.Context, tb *engines.Table, s engines.ScanSpec) ([]engines.Row, error) {
	start := t.clk.now(ctx)
	rows, err := t.Txn.Scan(ctx, tb, s)
	t.note(ctx, StmtScan, start, err)
	return rows, err
}

func (t *timedTxn) Insert(ctx context.Context, tb *engines.Table, r engines.Row) error {
	start := t.clk.now(ctx)
	err := t.Txn.Insert(ctx, tb, r)
	t.note(ctx, StmtInsert, start, err)
	return err
}

func (t *timedTxn) Update(ctx context.Context, tb *engines.Table, k engines.Key, sets ...engines.Set) error {
	start := t.clk.now(ctx)
	err := t.Txn.Update(ctx, tb, k, sets...)
	t.note(ctx, StmtWrite, start, err)
	return err
}

func (t *timedTxn) Delete(ctx context.Context, tb *engines.Table, k engines.Key) error {
	start := t.clk.now(ctx)
	err := t.Txn.Delete(ctx, tb, k)
	t.note(ctx, StmtDelete, start, err)
	return err
}

// commit times a successful COMMIT only.
func (t *timedTxn) Commit(ctx context.Context) error {
	start := t.clk.now(ctx)
	err := t.Txn.Commit(ctx)
	if err == nil {
		t.note(ctx, StmtCommit, start, nil)
	}
	return err
}

// The set-oriented forms are one statement each, whatever the engine.

func (t *timedTxn) GetMany(ctx context.Context, tb *engines.Table, keys []engines.Key, o engines.ReadOpts) ([]engines.Row, error) {
	start := t.clk.now(ctx)
	rows, err := engines.GetMany(ctx, t.Txn, tb, keys, o)
	kind := StmtRead
	if o.ForUpdate {
		kind = StmtReadForUpdate
	}
	t.note(ctx, kind, start, err)
	return rows, err
}

func (t *timedTxn) UpdateMany(ctx context.Context, tb *engines.Table, ups []engines.KeyUpdate, returning bool) (int, []engines.Row, error) {
	start := t.clk.now(ctx)
	n, rows, err := engines.UpdateMany(ctx, t.Txn, tb, ups, returning)
	t.note(ctx, StmtWrite, start, err)
	return n, rows, err
}

func (t *timedTxn) DeleteMany(ctx context.Context, tb *engines.Table, keys []engines.Key) ([]engines.Key, error) {
	start := t.clk.now(ctx)
	gone, err := engines.DeleteMany(ctx, t.Txn, tb, keys)
	t.note(ctx, StmtDelete, start, err)
	return gone, err
}

func (t *timedTxn) InsertMany(ctx context.Context, tb *engines.Table, rows []engines.Row) error {
	start := t.clk.now(ctx)
	err := engines.InsertMany(ctx, t.Txn, tb, rows)
	t.note(ctx, StmtInsert, start, err)
	return err
}

func (t *timedTxn) Query(ctx context.Context, tb *engines.Table, q engines.Query) ([]engines.Row, error) {
	start := t.clk.now(ctx)
	rows, err := engines.RunQuery(ctx, t.Txn, tb, q)
	t.note(ctx, StmtScan, start, err)
	return rows, err
}
