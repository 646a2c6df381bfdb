package runner

import (
	"context"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// boundedTxn is the statement timeout of a simulated run
// (--statement-timeout): every statement runs as a child process, and the
// client stops waiting for it once the timeout has passed. The statement
// fails as engines.ReasonStatementTimeout, the attempt ends, and the client
// hangs up and reconnects (cut), which makes the engine roll the
// transaction back — simplified: a server cancels the statement and keeps
// the connection (docs/models.md). Real databases enforce the timeout
// themselves (pg sets statement_timeout), so they never use this wrapper.
// Only runs with a statement timeout pay for the child processes.
type boundedTxn struct {
	*timedTxn
	limit time.Duration
	cut   bool // a statement timed out: the connection must go
}

// bound runs one statement under the timeout.
func (b *boundedTxn) bound(ctx context.Context, stmt func(ctx context.Context) error) error {
	if b.cut {
		// The abandoned statement may still be running in the engine.
		return engines.Abort(engines.ReasonStatementTimeout)
	}
	p := sim.ProcFrom(ctx)
	var err error
	f := sim.Go(p.Kernel(), "statement", func(cp *sim.Proc) struct{} {
		err = stmt(sim.WithProc(ctx, cp))
		return struct{}{}
	})
	if _, ok := sim.AwaitTimeout(p, f, b.limit, sim.CatOther); !ok {
		b.cut = true
		return engines.Abort(engines.ReasonStatementTimeout)
	}
	return err
}

func (b *boundedTxn) Get(ctx context.Context, tb *engines.Table, k engines.Key) (r engines.Row, ok bool, err error) {
	err = b.bound(ctx, func(ctx context.Context) (err error) { r, ok, err = b.timedTxn.Get(ctx, tb, k); return err })
	return r, ok, err
}

// GetInto is Get: a statement cut off by the timeout runs on, and would
// write dst after the caller has it back. (Without it timedTxn's would be
// promoted, unbounded.)
func (b *boundedTxn) GetInto(ctx context.Context, tb *engines.Table, k engines.Key, _ engines.Row) (engines.Row, bool, error) {
	return b.Get(ctx, tb, k)
}

func (b *boundedTxn) GetForUpdate(ctx context.Context, tb *engines.Table, k engines.Key) (r engines.Row, ok bool, err error) {
	err = b.bound(ctx, func(ctx context.Context) (err error) { r, ok, err = b.timedTxn.GetForUpdate(ctx, tb, k); return err })
	return r, ok, err
}

func (b *boundedTxn) Scan(ctx context.Context, tb *engines.Table, s engines.ScanSpec) (rows []engines.Row, err error) {
	err = b.bound(ctx, func(ctx context.Context) (err error) { rows, err = b.timedTxn.Scan(ctx, tb, s); return err })
	return rows, err
}

func (b *boundedTxn) Insert(ctx context.Context, tb *engines.Table, r engines.Row) error {
	return b.bound(ctx, func(ctx context.Context) error { return b.timedTxn.Insert(ctx, tb, r) })
}

func (b *boundedTxn) Update(ctx context.Context, tb *engines.Table, k engines.Key, sets ...engines.Set) error {
	return b.bound(ctx, func(ctx context.Context) error { return b.timedTxn.Update(ctx, tb, k, sets...) })
}

func (b *boundedTxn) Delete(ctx context.Context, tb *engines.Table, k engines.Key) error {
	return b.bound(ctx, func(ctx context.Context) error { return b.timedTxn.Delete(ctx, tb, k) })
}

func (b *boundedTxn) Commit(ctx context.Context) error {
	return b.bound(ctx, b.timedTxn.Commit)
}

func (b *boundedTxn) GetMany(ctx context.Context, tb *engines.Table, keys []engines.Key, o engines.ReadOpts) (rows []engines.Row, err error) {
	err = b.bound(ctx, func(ctx context.Context) (err error) { rows, err = b.timedTxn.GetMany(ctx, tb, keys, o); return err })
	return rows, err
}

func (b *boundedTxn) UpdateMany(ctx context.Context, tb *engines.Table, ups []engines.KeyUpdate, returning bool) (n int, rows []engines.Row, err error) {
	err = b.bound(ctx, func(ctx context.Context) (err error) {
		n, rows, err = b.timedTxn.UpdateMany(ctx, tb, ups, returning)
		return err
	})
	return n, rows, err
}

func (b *boundedTxn) DeleteMany(ctx context.Context, tb *engines.Table, keys []engines.Key) (gone []engines.Key, err error) {
	err = b.bound(ctx, func(ctx context.Context) (err error) { gone, err = b.timedTxn.DeleteMany(ctx, tb, keys); return err })
	return gone, err
}

func (b *boundedTxn) InsertMany(ctx context.Context, tb *engines.Table, rows []engines.Row) error {
	return b.bound(ctx, func(ctx context.Context) error { return b.timedTxn.InsertMany(ctx, tb, rows) })
}

func (b *boundedTxn) Query(ctx context.Context, tb *engines.Table, q engines.Query) (rows []engines.Row, err error) {
	err = b.bound(ctx, func(ctx context.Context) (err error) { rows, err = b.timedTxn.Query(ctx, tb, q); return err })
	return rows, err
}
