package twopc

import (
	"context"
	"errors"
	"math"
	"slices"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/engines/txnkit"
	"github.com/txbench/txbench/sim"
)

// latest reads the newest committed version: read-write reads at the
// leader hold a lock, so nothing newer can commit underneath them.
const latest = storage.Timestamp(math.MaxInt64)

// session is one client connection: Spanner's client library, which talks
// to split leaders and replicas directly.
type session struct {
	e      *Engine
	id     int
	client *sim.Node
	// near[g] is the data replica of split g closest to the client, where
	// snapshot reads go (filled on first use).
	near []*replica
	// coord runs the session's one-shot transactions (oneshot.go).
	coord *sim.Node
	// unreleased: aborted transactions whose rollback has not reached
	// every split yet (abandon releases them).
	unreleased []*txn
	// last is the session's latest transaction, which Begin reuses once
	// nothing refers to it any more (txn.refs).
	last *txn
}

// Session places the client in its AZ.
func (e *Engine) Session(_ context.Context, c engines.Client) (engines.Session, error) {
	if err := e.CheckAZ("2pc", c); err != nil {
		return nil, err
	}
	s := &session{e: e, id: c.ID, client: e.SessionNodes(c, "client")[0], near: make([]*replica, len(e.groups))}
	e.watchClient(s)
	return s, nil
}

// Close ends the connection: an open transaction is rolled back at every
// split it touched, as the server does when a client hangs up (the runner
// closes a session whose attempt timed out before it reconnects).
func (s *session) Close() error {
	s.e.abandon(s, ReasonClosed)
	return nil
}

func (s *session) nearest(g *group) *replica {
	if r := s.near[g.id]; r != nil {
		return r
	}
	nodes := make([]*sim.Node, len(g.data))
	for i, r := range g.data {
		nodes[i] = r.node
	}
	best := s.e.Cluster.Nearest(s.client, nodes)
	for _, r := range g.data {
		if r.node == best {
			s.near[g.id] = r
		}
	}
	return s.near[g.id]
}

// unlist takes t off the unreleased list: its rollback reached every
// split it touched.
func (s *session) unlist(t *txn) {
	s.unreleased = slices.DeleteFunc(s.unreleased, func(u *txn) bool { return u == t })
}

// Begin is free: nothing is sent until the first statement.
func (s *session) Begin(_ context.Context, o engines.TxnOptions) (engines.Txn, error) {
	e := s.e
	// The previous transaction's record is reused when it is finished and
	// nothing holds it: a transaction was 40% of the bytes a 2pc YCSB-A
	// run allocated (608 a transaction).
	t := simengine.Recycle(&s.last, (*txn).reusable)
	// Cleared, then set: a composite literal was built on the stack and
	// copied over (215 instructions a transaction; this takes 90).
	*t = txn{}
	t.e, t.s, t.opts, t.id, t.trips.OneShot = e, s, o, e.NextTxn(), o.OneShot
	t.touched, t.prepared, t.waits = t.touchedBuf[:0], t.preparedBuf[:0], t.waitsBuf[:0]
	if o.OneShot && s.coord == nil {
		s.coord = e.coordinatorNode(s)
	}
	t.prio = lock.Priority{Start: int64(o.FirstStart), Tie: uint64(s.id)}
	t.snapshot = o.ReadOnly || e.cfg.Isolation == RepeatableRead
	if !o.ReadOnly {
		e.live.add(t)
	}
	return t, nil
}

type txn struct {
	e    *Engine
	s    *session
	opts engines.TxnOptions
	id   uint64
	prio lock.Priority

	// snapshot: reads are lock-free snapshot reads at readTS (read-only
	// transactions, and every transaction under repeatable read).
	snapshot bool
	started  bool
	readTS   storage.Timestamp
	snap     storage.SnapshotID

	// ws is the write set buffered at the client; lock-only entries are
	// SELECT ... FOR UPDATE under repeatable read, validated like a write
	// at commit.
	ws txnkit.WriteSet

	// Lock and commit state.
	touched  []*group  // splits where t has locked or asked for a lock
	prepared []*group  // splits where t has prepared (its locks can no longer be wounded there)
	records  []*record // Paxos records t registered
	waits    []*waitSlot
	// wounded: an older transaction aborted t at a split (splits refuse
	// its further requests); notified: its client has heard; abandoned:
	// a request was abandoned on the notice, so no reply is awaited.
	wounded, notified, abandoned bool
	// mustNotWait: t is prepared where an older transaction waits for it.
	mustNotWait bool
	// leaderLost: a split's new leader dropped t's unlogged locks
	// (failover.go); coord is the split coordinating t's two-phase commit.
	leaderLost bool
	coord      *group
	// abandonedFor: the client went silent (idle) or closed the
	// connection, and the leaders aborted it for that reason.
	abandonedFor engines.Reason
	// woundTable and woundKey name the row of the request that wounded t
	// (Key.String of its key, taken at the wound: the requester's key is
	// its workload's and may be reused once its transaction is over).
	woundTable *engines.Table
	woundKey   string
	// decided: the commit timestamp is fixed; wounds no longer apply.
	decided bool
	done    bool
	// refs counts what may still use the transaction — its methods while
	// they run (a statement cut off by a timeout runs on in its own
	// process), and the processes it spawned (wound notices, releases,
	// commit notices) — so that Begin reuses it only when nothing does.
	refs simengine.Refs
	info engines.TxnInfo
	// trips: a one-shot transaction's request to its session's
	// coordinator and the one reply (oneshot.go).
	trips simengine.Trips
	// homeNode: the split leader running a one-shot transaction under
	// HomeLeader, fixed by its first request (oneshot.go).
	homeNode *sim.Node

	// touchedBuf and preparedBuf back touched and prepared for the first
	// splits (most transactions touch one or two), waitsBuf waits for the
	// first lock waits, partBuf and partPtrs the commit's first
	// participants: no allocations of their own.
	touchedBuf, preparedBuf [2]*group
	waitsBuf                [2]*waitSlot
	partBuf                 [2]participant
	partPtrs                [2]*participant
}

// reusable: the transaction is finished and nothing uses its record.
func (t *txn) reusable() bool { return t.done && t.refs.Idle() }

// Info reports the splits the commit involved.
func (t *txn) Info() engines.TxnInfo { return t.info }

func (t *txn) touch(g *group) {
	if !slices.Contains(t.touched, g) {
		t.touched = append(t.touched, g)
	}
}

func (t *txn) preparedAt(g *group) bool { return slices.Contains(t.prepared, g) }

var errFinished = errors.New("2pc: transaction already finished")

// start runs before every statement: a wound the client has heard of ends
// the transaction; a snapshot transaction fixes its read timestamp at the
// first statement (TT.now().latest, less the staleness for stale reads).
func (t *txn) start(p *sim.Proc) error {
	if t.done {
		return errFinished
	}
	if t.notified {
		return t.end(p, t.woundedAbort(nil, nil))
	}
	if !t.started {
		t.started = true
		if t.snapshot {
			t.readTS = storage.Timestamp(t.s.client.Clock.Now().Latest)
			if t.opts.ReadOnly {
				t.readTS -= storage.Timestamp(t.e.cfg.StaleReads)
			}
			t.snap = t.e.Snaps.Acquire(t.readTS)
		}
	}
	return nil
}

// end finishes the transaction when err aborts it (a one-shot
// transaction's coordinator answers the client), and passes err on.
func (t *txn) end(p *sim.Proc, err error) error {
	if a, ok := engines.AsAbort(err); ok {
		if a.Reason == engines.ReasonWounded {
			t.e.stats.WoundedAborts++
		}
		t.finish(false)
		t.answer(p)
	}
	return err
}

// finish ends the attempt. An aborted one fails its open Paxos records and
// sends a rollback to every split it touched (asynchronously: the client
// does not wait for it).
func (t *txn) finish(committed bool) {
	if t.done {
		return
	}
	t.done = true
	t.e.live.remove(t.id)
	if t.snapshot && t.started {
		t.e.Snaps.Release(t.snap)
	}
	for _, rec := range t.records {
		rec.decided.Set(false) // no-op for a decided record
	}
	if !committed && len(t.touched) > 0 {
		s := t.s
		s.unreleased = append(s.unreleased, t)
		if len(t.touched) == 1 {
			// Most aborts touched one split: the release itself unlists t
			// (no counter and callback to allocate).
			t.e.sendRelease(t.home(), t.touched[0], t, nil, true)
			return
		}
		left := len(t.touched)
		for _, g := range t.touched {
			t.e.releaseAsyncThen(t.home(), g, t, func() {
				if left--; left == 0 {
					s.unlist(t)
				}
			})
		}
	}
}

// read returns the row as the transaction sees it: its own write (own),
// a snapshot read, or a locked read at the split leader. rk and enc are
// k's row key and encoding (txnkit.Keys), which the callers that then
// write the row reuse; a row not
// own is unpacked for this read alone (into dst's array when it is large
// enough, Packed.RowInto), so a writer may change it.
func (t *txn) read(p *sim.Proc, tb *engines.Table, k engines.Key, rk, enc string, m lock.Mode, dst engines.Row) (row engines.Row, exists, own bool, err error) {
	row, packed, exists, own, err := t.readPacked(p, tb, k, rk, enc, m)
	if own {
		return row, exists, true, nil
	}
	return packed.RowInto(dst), exists, false, err
}

// readPacked is read, leaving a row not own packed (row is then nil).
func (t *txn) readPacked(p *sim.Proc, tb *engines.Table, k engines.Key, rk, enc string, m lock.Mode) (row engines.Row, packed engines.Packed, exists, own bool, err error) {
	if row, exists, own := t.ws.Read(tb, enc); own {
		return row, "", exists, true, nil // read-your-writes, at the client
	}
	if t.snapshot {
		packed, ok := t.snapshotRead(p, tb, k, enc)
		return nil, packed, ok, false, nil
	}
	packed, exists, err = t.lockedRead(p, tb, k, enc, rk, m)
	return nil, packed, exists, false, err
}

// lockedRead goes to the split leader, takes the lock (wound-wait) and
// reads the newest committed version.
func (t *txn) lockedRead(p *sim.Proc, tb *engines.Table, k engines.Key, enc, key string, m lock.Mode) (engines.Packed, bool, error) {
	g := t.e.groupOf(tb, k)
	ld := g.leader.node
	t.e.Cluster.SendExec(p, t.out(p, g), ld, t.e.cfg.ReadCPU)
	if err := t.acquire(p, g, key, m, tb, k); err != nil {
		t.reply(p, ld)
		return "", false, err
	}
	row, ok := t.e.Store.Get(tb.ID, enc, latest)
	t.e.Cluster.Send(p, ld, t.home())
	return row, ok, nil
}

// reply carries an abort back to the client, unless the client already
// gave up on the request when it heard of a wound.
func (t *txn) reply(p *sim.Proc, from *sim.Node) {
	if !t.abandoned {
		t.e.Cluster.Send(p, from, t.home())
	}
}

// snapshotRead is a lock-free read at readTS at the nearest replica, once
// its safe time has reached readTS.
func (t *txn) snapshotRead(p *sim.Proc, tb *engines.Table, k engines.Key, enc string) (engines.Packed, bool) {
	g := t.e.groupOf(tb, k)
	r := t.s.nearest(g)
	if t.leaderRead() {
		// Spanner §4.2.2: a read-only transaction whose scope is one split
		// goes to its leader, which reads at LastTS() — the newest
		// timestamp it assigned — once the records up to it are applied
		// there: no 2ε wait for the clock (OSDI'12 Table 3: ~1.4 ms).
		r = g.leader
		t.e.Cluster.Send(p, t.out(p, g), r.node)
		t.e.Snaps.Release(t.snap)
		t.readTS = max(g.lastTS, simengine.LoadTS)
		t.snap = t.e.Snaps.Acquire(t.readTS)
		t.e.waitRecords(p, g, r, t.readTS)
	} else {
		t.e.Cluster.Send(p, t.out(p, g), r.node)
		t.e.waitSafe(p, g, r, t.readTS)
	}
	// The service, the read at its end and the reply as one
	// (Cluster.ExecSend).
	rd := t.e.Reads.Take(r.view, tb.ID, enc, t.readTS)
	defer t.e.Reads.Give(rd)
	t.e.Cluster.ExecSend(p, r.node, t.home(), t.e.cfg.ReadCPU, rd)
	if rd.Err != nil {
		panic("2pc: snapshot read before the replica's safe time: " + rd.Err.Error()) // waitSafe guarantees it
	}
	return rd.Row, rd.OK
}

// leaderRead: a strong read-only transaction of one point read reads at
// its split's leader without a clock wait (a single-split scope, known in
// advance as Spanner requires). Its snapshot, taken from the client's
// clock at the first statement, is replaced at the leader.
func (t *txn) leaderRead() bool {
	return t.opts.ReadOnly && t.opts.SingleStatement && t.e.cfg.StaleReads == 0
}

func (t *txn) Get(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	return t.GetInto(ctx, tb, k, nil)
}

// GetInto implements engines.IntoGetter.
func (t *txn) GetInto(ctx context.Context, tb *engines.Table, k engines.Key, dst engines.Row) (engines.Row, bool, error) {
	defer t.refs.Hold().Release()
	p := sim.ProcFrom(ctx)
	if err := t.start(p); err != nil {
		return nil, false, err
	}
	rk, enc := txnkit.Keys(tb, k)
	row, ok, _, err := t.read(p, tb, k, rk, enc, lock.Shared, dst)
	return row, ok, t.end(p, err)
}

// GetForUpdate takes the exclusive lock with the read under serializable
// isolation (Spanner's exclusive lock hint); under repeatable read it
// reads the snapshot and validates the row like a write at commit.
func (t *txn) GetForUpdate(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	defer t.refs.Hold().Release()
	if t.opts.ReadOnly {
		return nil, false, engines.ErrReadOnly
	}
	p := sim.ProcFrom(ctx)
	if err := t.start(p); err != nil {
		return nil, false, err
	}
	rk, enc := txnkit.Keys(tb, k)
	row, ok, _, err := t.read(p, tb, k, rk, enc, lock.Exclusive, nil)
	if err == nil && t.snapshot {
		t.ws.Lock(tb, k, enc)
	}
	return row, ok, t.end(p, err)
}

// modify runs a writing statement: it reads the row first, as SQL does
// (under serializable isolation with a shared lock; the exclusive lock
// comes at commit), then buffers the change at the client.
func (t *txn) modify(ctx context.Context, tb *engines.Table, k engines.Key, change func(old engines.Row, exists, own bool, rk, enc string) error) error {
	return t.modifyPacked(ctx, tb, k, func(old engines.Row, packed engines.Packed, exists, own bool, rk, enc string) error {
		if !own {
			old = packed.Row()
		}
		return change(old, exists, own, rk, enc)
	})
}

// modifyPacked is modify, handing change a row not own packed (old is
// then nil).
func (t *txn) modifyPacked(ctx context.Context, tb *engines.Table, k engines.Key, change func(old engines.Row, packed engines.Packed, exists, own bool, rk, enc string) error) error {
	defer t.refs.Hold().Release()
	if t.opts.ReadOnly {
		return engines.ErrReadOnly
	}
	p := sim.ProcFrom(ctx)
	if err := t.start(p); err != nil {
		return err
	}
	m := lock.Shared
	if t.opts.OneShot {
		// A one-shot transaction knows it writes the row: it locks it
		// exclusively at once, as a stored procedure's UPDATE does.
		m = lock.Exclusive
	}
	rk, enc := txnkit.Keys(tb, k)
	old, packed, exists, own, err := t.readPacked(p, tb, k, rk, enc, m)
	if err != nil {
		return t.end(p, err)
	}
	return change(old, packed, exists, own, rk, enc)
}

func (t *txn) Insert(ctx context.Context, tb *engines.Table, r engines.Row) error {
	if err := tb.CheckRow(r); err != nil {
		return err
	}
	k := tb.KeyOf(r)
	return t.modify(ctx, tb, k, func(_ engines.Row, exists, _ bool, rk, enc string) error {
		if exists {
			return engines.ErrDuplicateKey
		}
		t.ws.PutKeyed(tb, k, rk, enc, r)
		return nil
	})
}

func (t *txn) Update(ctx context.Context, tb *engines.Table, k engines.Key, sets ...engines.Set) error {
	return t.modifyPacked(ctx, tb, k, func(old engines.Row, packed engines.Packed, exists, own bool, rk, enc string) error {
		if !exists {
			return engines.ErrNotFound
		}
		if own {
			t.ws.PutKeyed(tb, k, rk, enc, txnkit.Updated(old, sets))
		} else {
			// The stored row's bytes, patched: nothing unpacked or
			// packed again (Packed.Patch).
			t.ws.PutPacked(tb, k, rk, enc, packed.Patch(sets))
		}
		return nil
	})
}

// Statement runs body as one statement. The client library talks to the
// split leaders directly, so grouping saves no hop; what it buys is that
// the statement's rows are requested in parallel (engines.Grouper).
func (t *txn) Statement(ctx context.Context, body func(ctx context.Context) error) error {
	defer t.refs.Hold().Release()
	if err := t.start(sim.ProcFrom(ctx)); err != nil {
		return err
	}
	return body(ctx)
}

// Parallel sends a statement's row requests to their splits at once.
func (t *txn) Parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	return simengine.Parallel(ctx, n, "2pc-rows", fn)
}

// Modify is an UPDATE assigning expressions, read and buffered like Update.
func (t *txn) Modify(ctx context.Context, tb *engines.Table, k engines.Key, as []engines.Assign) (row engines.Row, ok bool, err error) {
	err = t.modify(ctx, tb, k, func(old engines.Row, exists, _ bool, rk, enc string) error {
		if exists {
			row, ok = engines.Apply(old, as), true
			t.ws.PutKeyed(tb, k, rk, enc, row)
		}
		return nil
	})
	return row, ok, err
}

func (t *txn) Delete(ctx context.Context, tb *engines.Table, k engines.Key) error {
	return t.modify(ctx, tb, k, func(_ engines.Row, exists, _ bool, _, enc string) error {
		if !exists {
			return engines.ErrNotFound
		}
		t.ws.Delete(tb, k, enc)
		return nil
	})
}

// Rollback sends the rollback to the splits in the background; the client
// does not wait for it.
func (t *txn) Rollback(ctx context.Context) error {
	defer t.refs.Hold().Release()
	if t.done {
		return nil
	}
	t.finish(false)
	if t.opts.OneShot {
		t.answer(sim.ProcFrom(ctx))
	}
	return nil
}

// Scan reads the range from every split that can hold it (one when the
// range is within one shard-key value) in parallel and merges the
// transaction's own writes. Locked scans hold a shared range lock over
// what they read, so a concurrent insert cannot appear in it (no phantoms).
func (t *txn) Scan(ctx context.Context, tb *engines.Table, s engines.ScanSpec) ([]engines.Row, error) {
	defer t.refs.Hold().Release()
	p := sim.ProcFrom(ctx)
	if err := t.start(p); err != nil {
		return nil, err
	}
	from, to := txnkit.Range(s)
	// The transaction's own writes in the range supersede what storage has.
	own := t.ws.Overlay(tb, from, to, s.Reverse, s.Limit)
	limit := own.SourceLimit()
	groups := t.e.groups
	if v, single := txnkit.SingleShardValue(tb, s); single {
		groups = []*group{t.e.groupOfValue(v)}
	}
	type part struct {
		rows []txnkit.KeyedRow
		err  error
	}
	parts := sim.FanOut(p, len(groups), "2pc-scan", func(c *sim.Proc, i int) part {
		if t.snapshot {
			return part{rows: t.snapshotScan(c, groups[i], tb, from, to, limit, s.Reverse)}
		}
		rows, err := t.lockedScan(c, groups[i], tb, s.Start, from, to, limit, s.Reverse)
		return part{rows, err}
	})
	// Every split's rows come back in scan order: merge them with the
	// transaction's own rows, storage rows it superseded left out.
	lists := make([][]txnkit.KeyedRow, 0, len(parts))
	for _, pt := range parts {
		if pt.err != nil {
			return nil, t.end(p, pt.err)
		}
		lists = append(lists, pt.rows)
	}
	return txnkit.Rows(own.Merge(lists...)), nil
}

// scanSplit collects up to limit rows of split g in [from, to) as of ts
// from a view of the store (every split shares the store; each keeps the
// rows it owns).
func (e *Engine) scanSplit(g *group, scan func(fn func(string, engines.Row) bool), tb *engines.Table, limit int) []txnkit.KeyedRow {
	var got []txnkit.KeyedRow
	scan(func(k string, r engines.Row) bool {
		if e.groupOfRow(tb, r) == g {
			got = append(got, txnkit.KeyedRow{Enc: k, Row: r})
		}
		return limit == 0 || len(got) < limit
	})
	return got
}

// snapshotScan reads g's share of the range at the nearest replica.
func (t *txn) snapshotScan(p *sim.Proc, g *group, tb *engines.Table, from, to string, limit int, reverse bool) []txnkit.KeyedRow {
	r := t.s.nearest(g)
	t.e.Cluster.Send(p, t.out(p, g), r.node)
	t.e.waitSafe(p, g, r, t.readTS)
	rows := t.e.scanSplit(g, func(fn func(string, engines.Row) bool) {
		if err := r.view.Scan(tb.ID, from, to, t.readTS, 0, reverse, engines.Unpacking(fn)); err != nil {
			panic("2pc: snapshot scan before the replica's safe time: " + err.Error())
		}
	}, tb, limit)
	r.node.CPU.Exec(p, t.e.cfg.ReadCPU+t.e.cfg.ScanRowCPU*sim.Time(len(rows)))
	t.e.Cluster.Send(p, r.node, t.home())
	return rows
}

// lockedScan reads g's share of the range at its leader under a shared
// range lock covering exactly what was read: [from, last row] when the
// limit was reached, else [from, to) (mirrored for reverse scans). If the
// lock had to wait, the range is read again under it, and the lock widened
// if deletes meanwhile moved the last row out of it.
func (t *txn) lockedScan(p *sim.Proc, g *group, tb *engines.Table, start engines.Key, from, to string, limit int, reverse bool) ([]txnkit.KeyedRow, error) {
	ld := g.leader.node
	t.e.Cluster.SendExec(p, t.out(p, g), ld, t.e.cfg.ReadCPU)
	var heldFrom, heldEnd string
	held := false
	for {
		rows := t.e.scanSplit(g, func(fn func(string, engines.Row) bool) {
			t.e.Store.Scan(tb.ID, from, to, latest, 0, reverse, engines.Unpacking(fn))
		}, tb, limit)
		lf, le := txnkit.TablePrefix(tb)+from, txnkit.TableEnd(tb)
		if to != "" {
			le = txnkit.TablePrefix(tb) + to
		}
		if limit > 0 && len(rows) == limit {
			last := txnkit.TablePrefix(tb) + rows[len(rows)-1].Enc
			if reverse {
				lf = last
			} else {
				le = last + "\x00"
			}
		}
		if held && heldFrom <= lf && le <= heldEnd {
			ld.CPU.Exec(p, t.e.cfg.ScanRowCPU*sim.Time(len(rows)))
			t.e.Cluster.Send(p, ld, t.home())
			return rows, nil
		}
		immediate, err := t.acquireRange(p, g, lf, le, tb, start)
		if err != nil {
			t.reply(p, ld)
			return nil, err
		}
		held, heldFrom, heldEnd = true, lf, le
		if immediate {
			// Nothing in the range was write-locked, so nothing in it
			// changed since it was read (writes install under the lock).
			ld.CPU.Exec(p, t.e.cfg.ScanRowCPU*sim.Time(len(rows)))
			t.e.Cluster.Send(p, ld, t.home())
			return rows, nil
		}
	}
}
