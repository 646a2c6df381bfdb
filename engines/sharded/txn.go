package sharded

import (
	"context"
	"errors"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/engines/txnkit"
	"github.com/txbench/txbench/sim"
)

// session is one client connection, held by a router in the client's AZ.
type session struct {
	e      *Engine
	id     int
	client *sim.Node
	router *router
	// near is the shard closest to the router, which serves reads of
	// reference tables.
	near *shard
	// last is the session's latest transaction, which Begin reuses once
	// nothing refers to it any more (txn.refs).
	last *txn
}

// Session connects the client to a router in its AZ (round robin by client
// id when the AZ has several), or to the nearest router when it has none.
func (e *Engine) Session(_ context.Context, c engines.Client) (engines.Session, error) {
	if err := e.CheckAZ("sharded", c); err != nil {
		return nil, err
	}
	client := e.SessionNodes(c, "client")[0]
	var local []*router
	var up []*router // a crashed router takes no new connections
	for _, r := range e.routers {
		if !e.Cluster.Down(r.node) {
			up = append(up, r)
		}
	}
	if len(up) == 0 {
		up = e.routers
	}
	for _, r := range up {
		if r.node.AZ == c.AZ {
			local = append(local, r)
		}
	}
	var r *router
	if len(local) > 0 {
		n := len(local)
		r = local[((c.ID%n)+n)%n]
	} else {
		nodes := make([]*sim.Node, len(up))
		for i, rt := range up {
			nodes[i] = rt.node
		}
		best := e.Cluster.Nearest(client, nodes)
		for _, rt := range up {
			if rt.node == best {
				r = rt
				break
			}
		}
	}
	nodes := make([]*sim.Node, len(e.shards))
	for i, sh := range e.shards {
		nodes[i] = sh.node
	}
	best := e.Cluster.Nearest(r.node, nodes)
	s := &session{e: e, id: c.ID, client: client, router: r}
	for _, sh := range e.shards {
		if sh.node == best {
			s.near = sh
			break
		}
	}
	e.watchClient(s)
	return s, nil
}

// Close hangs up: the shards roll back an open transaction.
func (s *session) Close() error {
	s.abandon(engines.ReasonConnection)
	return nil
}

// Begin is free: like PostgreSQL, nothing happens until the first
// statement (drivers pipeline BEGIN with it).
func (s *session) Begin(ctx context.Context, o engines.TxnOptions) (engines.Txn, error) {
	e := s.e
	// The previous transaction's record is reused when it is finished and
	// nothing holds it: a transaction was 30% of the bytes a sharded
	// YCSB-A run allocated.
	t := simengine.Recycle(&s.last, (*txn).reusable)
	keys := t.first.pend.keys[:0]
	*t = txn{} // cleared, then set: as 2pc's Begin
	t.e, t.s, t.opts, t.id, t.begun, t.trips.OneShot = e, s, o, e.NextTxn(), sim.ProcFrom(ctx).Now(), o.OneShot
	t.first.pend.keys = keys
	if len(e.shards) <= len(t.partBuf) {
		t.parts = t.partBuf[:len(e.shards)]
	} else {
		t.parts = make([]*part, len(e.shards))
	}
	e.live[t.id] = t
	return t, nil
}

// part is a transaction's state on one shard.
type part struct {
	sh *shard
	// ws holds the row changes t made here, each under its exclusive row
	// lock and private until commit; a lock-only entry is SELECT ... FOR
	// UPDATE, whose lock is held to the end and committed like a write
	// (PostgreSQL marks the row), installing nothing.
	ws txnkit.WriteSet
	// locks: the transaction asked for a lock here (held or waiting), so
	// its end must reach this shard.
	locks bool
	// pd is its commit in progress here, in pend once registered. The
	// record is the part's own: it was 6% of the bytes a sharded YCSB-A
	// run allocated, with its future. Nothing refers to it once the
	// shard has resolved it, which happens before the transaction can be
	// reused (txn.refs: the commit, and the COMMIT PREPARED processes,
	// hold it until then); a reused transaction's first part keeps its
	// keys' array.
	pd   *pending
	pend pending
}

type txn struct {
	e     *Engine
	s     *session
	opts  engines.TxnOptions
	id    uint64
	begun sim.Time

	// snapshot is the read timestamp: the transaction's (repeatable read,
	// from the first statement) or the current statement's (read
	// committed). maxSnap is the highest one used.
	started  bool
	snapshot storage.Timestamp
	snapID   storage.SnapshotID
	maxSnap  storage.Timestamp

	parts []*part // by shard id; nil where untouched
	// partBuf holds parts for up to its length of shards, and first the
	// first shard touched: a transaction in one allocation, not three
	// (most touch one shard).
	partBuf [8]*part
	first   part
	// waits are the lock requests t waits for; killed is the abort a
	// router decided for t while it waited.
	waits  []*waitSlot
	killed error
	done   bool
	// refs counts what may still use the transaction — its statements,
	// commit and rollback while they run (a statement cut off by a
	// timeout runs on in its own process), and the processes it spawned
	// (COMMIT PREPARED, deadlock checks) — so that Begin reuses it only
	// when nothing does.
	refs simengine.Refs
	info engines.TxnInfo
	// decided: the lead shard installed the commit; lost: a failover or a
	// lost connection rolled t back (failover.go).
	decided bool
	lost    error
	// grouped: a set-oriented statement is running (engines.Grouper).
	grouped simengine.Grouped
	// trips are the client's messages to the router (one per statement,
	// or one request and one reply for a one-shot transaction).
	trips simengine.Trips
	// assigns holds an UPDATE's assignments (Update).
	assigns [2]engines.Assign
}

// reusable: the transaction is finished and nothing uses its record.
func (t *txn) reusable() bool { return t.done && t.refs.Idle() }

// Info reports the shards the commit wrote (0 for a read-only commit).
func (t *txn) Info() engines.TxnInfo { return t.info }

func (t *txn) owner() lock.Owner { return lock.Owner(t.id) }

func (t *txn) partAt(sh *shard) *part {
	pt := t.parts[sh.id]
	if pt == nil {
		if t.first.sh == nil {
			pt = &t.first
		} else {
			pt = new(part)
		}
		pt.sh = sh
		t.parts[sh.id] = pt
	}
	return pt
}

// own returns t's write set on a shard (nil where untouched).
func (t *txn) own(sh *shard) *txnkit.WriteSet {
	if pt := t.parts[sh.id]; pt != nil {
		return &pt.ws
	}
	return nil
}

var errFinished = errors.New("sharded: transaction already finished")

// statement runs one SQL statement: the client's round trip to its
// router, the router's CPU, and body, which visits the shards. Repeatable
// read fixes the snapshot at the first statement, read committed takes one
// per statement, both from the router's bounded clock (its latest bound,
// so every commit acknowledged before the statement is below it).
func (t *txn) statement(ctx context.Context, body func(p *sim.Proc) error) error {
	defer t.refs.Hold().Release()
	if t.done {
		return errFinished
	}
	p := sim.ProcFrom(ctx)
	if t.grouped.In {
		return body(p)
	}
	r := t.s.router.node
	t.trips.RequestExec(p, t.e.Cluster, t.s.client, r, t.e.cfg.RouterCPU)
	perStatement := t.e.cfg.Isolation == ReadCommitted
	if !t.started || perStatement {
		t.started = true
		t.snapshot = storage.Timestamp(r.Clock.Now().Latest)
		t.maxSnap = max(t.maxSnap, t.snapshot)
		t.snapID = t.e.Snaps.Acquire(t.snapshot)
	}
	err := body(p)
	if t.lost != nil && err == nil {
		err = t.lost // rolled back meanwhile (failover.go)
	}
	if perStatement {
		t.e.Snaps.Release(t.snapID)
	}
	_, aborted := engines.AsAbort(err)
	if aborted {
		// The router sends the rollback to the shards as it answers.
		t.finish(false)
	}
	t.trips.Reply(p, t.e.Cluster, r, t.s.client, aborted)
	return err
}

// onShard carries body to shard sh and its answer back to the router,
// unless the router decided the outcome itself (atRouter).
func (t *txn) onShard(p *sim.Proc, sh *shard, body func() (atRouter bool)) {
	n, _ := t.e.send(p, t.s.router.node, sh)
	if t.lost != nil || sh.node != n {
		// Rolled back, or the shard failed over while the request was
		// held: the statement fails (statement returns t.lost).
		if t.lost == nil {
			t.lost = &engines.AbortError{Reason: ReasonShardFailover, Retryable: true}
		}
		return
	}
	if !body() {
		t.e.Cluster.Send(p, n, t.s.router.node)
	}
}

// homeOf is the shard a statement on the row (tb, k) goes to: its shard,
// or for a reference table the shard nearest the router. Writes to a
// reference table go to every shard instead (writeShards).
func (t *txn) homeOf(tb *engines.Table, k engines.Key) *shard {
	if tb.Reference {
		return t.s.near
	}
	return t.e.shardOf(tb, k)
}

func (t *txn) writeShards(tb *engines.Table, k engines.Key) []*shard {
	if tb.Reference {
		return t.e.shards
	}
	// The one shard as a window on e.shards (fixed once built; callers
	// only read it): a new one-element slice was an allocation a write.
	i := t.e.shardOf(tb, k).id
	return t.e.shards[i : i+1 : i+1]
}

// readAt is a snapshot read on a shard: t's own write, or the version
// visible at the snapshot once no commit in progress that may be visible
// holds the row. rk and enc are the row's row key and encoding
// (txnkit.Keys); a row from storage is unpacked into dst's array when it
// is large enough (Packed.RowInto).
func (t *txn) readAt(p *sim.Proc, sh *shard, tb *engines.Table, rk, enc string, dst engines.Row) (engines.Row, bool) {
	sh.node.CPU.Exec(p, t.e.cfg.ReadCPU)
	if row, exists, own := t.own(sh).Read(tb, enc); own {
		return row, exists
	}
	sh.noteRead(t.snapshot)
	sh.waitKey(p, rk, t.snapshot)
	row, ok := t.e.Store.Get(tb.ID, enc, t.snapshot)
	return row.RowInto(dst), ok
}

func (t *txn) Get(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	return t.GetInto(ctx, tb, k, nil)
}

// GetInto implements engines.IntoGetter.
func (t *txn) GetInto(ctx context.Context, tb *engines.Table, k engines.Key, dst engines.Row) (row engines.Row, ok bool, err error) {
	err = t.statement(ctx, func(p *sim.Proc) error {
		sh := t.homeOf(tb, k)
		rk, enc := txnkit.Keys(tb, k)
		t.onShard(p, sh, func() bool {
			row, ok = t.readAt(p, sh, tb, rk, enc, dst)
			return false
		})
		return nil
	})
	return row, ok, err
}

// writeKind is what a writing statement does to its row.
type writeKind uint8

const (
	kindUpdate writeKind = iota
	kindDelete
	kindInsert
	kindForUpdate
	// kindSet is an UPDATE whose caller does not read the row it replaces
	// (Update, not Modify): a row read from the store for it is changed
	// in place instead of copied.
	kindSet
)

// writeAt runs a writing statement on one shard: it takes the row's
// exclusive lock (waiting behind its holders), then decides on the row as
// the isolation level says —
//
//   - repeatable read: the row as of the snapshot; if a newer version was
//     committed since, a serialization failure (first updater wins);
//   - read committed: the newest version, whatever the snapshot (what
//     PostgreSQL's EvalPlanQual re-check does on a concurrently updated
//     row) —
//
// and keeps the new version private to t until commit. A serialization
// failure or a deadlock aborts t on this shard at once. key and enc are
// the row's row key and encoding (txnkit.Keys).
func (t *txn) writeAt(p *sim.Proc, sh *shard, kind writeKind, tb *engines.Table, k engines.Key, key, enc string, as []engines.Assign, ins engines.Row) (cur engines.Row, exists, atRouter bool, err error) {
	sh.node.CPU.Exec(p, t.e.cfg.WriteCPU)
	if t.killed != nil {
		return nil, false, true, t.killed
	}
	w := t.own(sh).Get(tb, enc)
	if w == nil || sh.locks.Holds(t.owner(), key) != lock.Exclusive {
		if o := t.lockRow(p, sh, key, tb, k); o.err != nil {
			return nil, false, o.atRouter, o.err
		}
	}
	var packed engines.Packed // the committed row, for an UPDATE that patches it
	switch {
	case w != nil && !w.LockOnly:
		cur, exists = w.Version(), !w.Deleted
	case kind == kindSet:
		// Its caller does not read the row: it stays packed, and the
		// new version is its bytes patched (Packed.PatchAssigns).
		packed, exists, err = t.currentPacked(sh, tb, k, enc, kind)
	default:
		cur, exists, err = t.current(sh, tb, k, enc, kind)
	}
	if err != nil {
		return nil, false, false, err
	}
	ws := &t.partAt(sh).ws
	switch kind {
	case kindForUpdate:
		ws.Lock(tb, k, enc)
		return cur, exists, false, nil
	case kindInsert:
		if exists {
			return nil, false, false, engines.ErrDuplicateKey
		}
		ws.PutKeyed(tb, k, key, enc, ins)
	case kindUpdate, kindSet:
		if !exists {
			return nil, false, false, engines.ErrNotFound
		}
		if kind == kindSet && (w == nil || w.LockOnly) {
			if p, ok := packed.PatchAssigns(as); ok {
				ws.PutPacked(tb, k, key, enc, p)
			} else {
				ws.PutKeyed(tb, k, key, enc, engines.ApplyInPlace(packed.Row(), as)) // unpacked for this write alone
			}
		} else {
			ws.PutKeyed(tb, k, key, enc, engines.Apply(cur, as))
		}
	case kindDelete:
		if !exists {
			return nil, false, false, engines.ErrNotFound
		}
		ws.Delete(tb, k, enc)
	}
	return cur, exists, false, nil
}

// current is the committed row a write under the row lock applies to (see
// writeAt). No commit in progress can hold the row: its writer holds the
// lock until the outcome is visible here.
func (t *txn) current(sh *shard, tb *engines.Table, k engines.Key, enc string, kind writeKind) (engines.Row, bool, error) {
	packed, ok, err := t.currentPacked(sh, tb, k, enc, kind)
	return packed.Row(), ok, err
}

// currentPacked is current, the row left packed.
func (t *txn) currentPacked(sh *shard, tb *engines.Table, k engines.Key, enc string, kind writeKind) (engines.Packed, bool, error) {
	// Read committed works on the newest version; so does an INSERT under
	// snapshot isolation: PostgreSQL checks uniqueness against the newest
	// version, so a row inserted since the snapshot is a duplicate, not a
	// failure.
	if t.e.cfg.Isolation == ReadCommitted || kind == kindInsert {
		newest, _, live, any := t.e.Store.Latest(tb.ID, enc)
		if t.e.cfg.Isolation != ReadCommitted {
			sh.noteRead(t.snapshot)
		}
		return newest, any && live, nil
	}
	sh.noteRead(t.snapshot)
	_, ts, _, any, packed, ok := t.e.Store.LatestAndGet(tb.ID, enc, t.snapshot)
	if !ok {
		return "", false, nil // not in the snapshot: UPDATE 0
	}
	if any && ts > t.snapshot {
		t.e.stats.SerializationFailures++
		sh.release(t.owner())
		return "", false, &engines.AbortError{Reason: engines.ReasonSerialization, Retryable: true, Table: tb.Name, Key: k.String(),
			Err: errors.New("could not serialize access due to concurrent update")}
	}
	return packed, true, nil
}

// write runs a writing statement on every shard that holds the row (one,
// or all for a reference table) in parallel. If one shard fails the
// statement, the router stops waiting for the others.
func (t *txn) write(ctx context.Context, kind writeKind, tb *engines.Table, k engines.Key, as []engines.Assign, ins engines.Row) (engines.Row, bool, error) {
	if t.opts.ReadOnly {
		return nil, false, engines.ErrReadOnly
	}
	var row engines.Row
	var exists bool
	err := t.statement(ctx, func(p *sim.Proc) error {
		key, enc := txnkit.Keys(tb, k)
		shards := t.writeShards(tb, k)
		// One shard (every table but a reference table's) is FanOut's
		// inline case, called directly: the closure FanOut takes, and the
		// results' slice, were 13% of the bytes a sharded YCSB-A run
		// allocated.
		var out []writeRes
		var one [1]writeRes
		if len(shards) == 1 {
			one[0] = t.writeOn(p, shards[0], kind, tb, k, key, enc, as, ins)
			out = one[:]
		} else {
			out = sim.FanOut(p, len(shards), "sharded-write", func(c *sim.Proc, i int) writeRes {
				return t.writeOn(c, shards[i], kind, tb, k, key, enc, as, ins)
			})
		}
		row, exists = out[0].row, out[0].exists
		var first error
		for _, r := range out {
			if _, aborted := engines.AsAbort(r.err); aborted {
				return r.err
			}
			if first == nil {
				first = r.err
			}
		}
		return first
	})
	return row, exists, err
}

// writeRes is a writing statement's outcome on one shard.
type writeRes struct {
	row    engines.Row
	exists bool
	err    error
}

// writeOn carries a writing statement to shard sh and runs it there
// (writeAt); an abort decided on the shard ends t's other lock waits.
func (t *txn) writeOn(c *sim.Proc, sh *shard, kind writeKind, tb *engines.Table, k engines.Key, key, enc string, as []engines.Assign, ins engines.Row) (r writeRes) {
	t.onShard(c, sh, func() bool {
		var atRouter bool
		r.row, r.exists, atRouter, r.err = t.writeAt(c, sh, kind, tb, k, key, enc, as, ins)
		if _, aborted := engines.AsAbort(r.err); aborted && !atRouter {
			t.kill(r.err)
		}
		return atRouter
	})
	return r
}

// GetForUpdate is SELECT ... FOR UPDATE: the row's exclusive lock, taken
// at once, with the same checks as an UPDATE.
func (t *txn) GetForUpdate(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	return t.write(ctx, kindForUpdate, tb, k, nil, nil)
}

func (t *txn) Insert(ctx context.Context, tb *engines.Table, r engines.Row) error {
	if err := tb.CheckRow(r); err != nil {
		return err
	}
	_, _, err := t.write(ctx, kindInsert, tb, tb.KeyOf(r), nil, r)
	return err
}

func (t *txn) Update(ctx context.Context, tb *engines.Table, k engines.Key, sets ...engines.Set) error {
	// The assignments go in t's own array when no statement of t is
	// running (refs: one cut off by a timeout may still be, and a grouped
	// statement's rows run at once), as nothing keeps them after the
	// statement: a new slice an UPDATE was 3% of the bytes a sharded
	// YCSB-A run allocated.
	var as []engines.Assign
	if t.refs.Idle() && len(sets) <= len(t.assigns) {
		as = t.assigns[:len(sets)]
	} else {
		as = make([]engines.Assign, len(sets))
	}
	for i, s := range sets {
		as[i] = engines.Assign{Col: s.Col, Val: s.Val}
	}
	_, _, err := t.write(ctx, kindSet, tb, k, as, nil)
	return err
}

// Statement runs body as one statement: one client round trip to the
// router and its CPU once; the router sends the rows' requests to their
// shards (engines.Grouper).
func (t *txn) Statement(ctx context.Context, body func(ctx context.Context) error) error {
	return t.grouped.Statement(ctx, t.statement, body)
}

// Parallel sends a statement's row requests from the router at once.
func (t *txn) Parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	return simengine.Parallel(ctx, n, "sharded-rows", fn)
}

// Modify is an UPDATE assigning expressions, applied on the shard under
// the row lock like any UPDATE.
func (t *txn) Modify(ctx context.Context, tb *engines.Table, k engines.Key, as []engines.Assign) (engines.Row, bool, error) {
	old, ok, err := t.write(ctx, kindUpdate, tb, k, as, nil)
	if errors.Is(err, engines.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil || !ok {
		return nil, false, err
	}
	return engines.Apply(old, as), true, nil
}

func (t *txn) Delete(ctx context.Context, tb *engines.Table, k engines.Key) error {
	_, _, err := t.write(ctx, kindDelete, tb, k, nil, nil)
	return err
}

// Scan reads the range on every shard that can hold it — one for a
// reference table or a range within one shard-key value, else all of them
// in parallel — and merges their rows in key order.
func (t *txn) Scan(ctx context.Context, tb *engines.Table, s engines.ScanSpec) ([]engines.Row, error) {
	var rows []engines.Row
	err := t.statement(ctx, func(p *sim.Proc) error {
		from, to := txnkit.Range(s)
		shards := t.e.shards
		if _, single := txnkit.SingleShardValue(tb, s); tb.Reference {
			shards = []*shard{t.s.near}
		} else if single {
			shards = []*shard{t.e.shardOf(tb, s.Start)}
		}
		parts := sim.FanOut(p, len(shards), "sharded-scan", func(c *sim.Proc, i int) []txnkit.KeyedRow {
			var got []txnkit.KeyedRow
			t.onShard(c, shards[i], func() bool {
				got = t.scanAt(c, shards[i], tb, from, to, s.Limit, s.Reverse, len(shards) > 1)
				return false
			})
			return got
		})
		rows = txnkit.Rows(txnkit.Merge(s.Reverse, s.Limit, parts...))
		return nil
	})
	return rows, err
}

// scanAt reads sh's rows of [from, to) at the snapshot, t's own writes
// there merged in, at most limit of them (0: no limit). filter keeps only
// the rows sh owns (every shard sees the shared store).
func (t *txn) scanAt(p *sim.Proc, sh *shard, tb *engines.Table, from, to string, limit int, reverse, filter bool) []txnkit.KeyedRow {
	lf, lt := txnkit.TablePrefix(tb)+from, txnkit.TableEnd(tb)
	if to != "" {
		lt = txnkit.TablePrefix(tb) + to
	}
	sh.noteRead(t.snapshot)
	sh.waitRange(p, lf, lt, t.snapshot)
	// t's own writes in the range supersede what storage has.
	own := t.own(sh).Overlay(tb, from, to, reverse, limit)
	var got []txnkit.KeyedRow
	t.e.Store.Scan(tb.ID, from, to, t.snapshot, 0, reverse, engines.Unpacking(func(enc string, r engines.Row) bool {
		if own.Supersedes(enc) || (filter && t.e.shardOfRow(tb, r) != sh) {
			return true
		}
		got = append(got, txnkit.KeyedRow{Enc: enc, Row: r})
		return limit <= 0 || len(got) < limit
	}))
	got = own.Merge(got)
	sh.node.CPU.Exec(p, t.e.cfg.ReadCPU+t.e.cfg.ScanRowCPU*sim.Time(len(got)))
	return got
}

// Rollback is one round trip to the router, which answers at once and
// sends the rollback on to the shards.
func (t *txn) Rollback(ctx context.Context) error {
	defer t.refs.Hold().Release()
	if t.done {
		return nil
	}
	p := sim.ProcFrom(ctx)
	r := t.s.router.node
	t.trips.Request(p, t.e.Cluster, t.s.client, r)
	t.finish(false)
	t.trips.Reply(p, t.e.Cluster, r, t.s.client, true)
	return nil
}

// finish ends the attempt. Shards where t still holds (or waits for)
// locks hear from the router asynchronously: the rollback of an aborted
// attempt, or the end of a committed one that locked rows it did not write
// (an UPDATE that found nothing).
func (t *txn) finish(committed bool) {
	if t.done {
		return
	}
	t.done = true
	delete(t.e.live, t.id)
	if t.started && t.e.cfg.Isolation == RepeatableRead {
		t.e.Snaps.Release(t.snapID)
	}
	for _, pt := range t.parts {
		if pt == nil || !pt.locks || (committed && pt.ws.Len() > 0) {
			continue
		}
		t.e.releaseAsync(t.s.router.node, pt.sh, t.owner())
	}
}

// releaseAsync is a rollback (or release) message from the router to a
// shard.
func (e *Engine) releaseAsync(from *sim.Node, sh *shard, o lock.Owner) {
	e.Cluster.Post("sharded-rollback", from, sh.node, func() { sh.release(o) })
}
