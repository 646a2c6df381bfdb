package occ

import (
	"context"
	"errors"
	"fmt"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/engines/txnkit"
	"github.com/txbench/txbench/sim"
)

// session is one client connection and its dedicated query processor.
type session struct {
	e      *Engine
	client *sim.Node
	qp     *sim.Node
	rep    *replica
	// cur is the session's latest transaction (failover.go); Begin reuses
	// its record once it is finished and nothing holds it (txn.refs).
	cur *txn
}

// Session places the client and its query processor in the client's AZ.
func (e *Engine) Session(_ context.Context, c engines.Client) (engines.Session, error) {
	rep := e.replicaIn(c.AZ)
	if rep == nil {
		return nil, fmt.Errorf("occ: client %d is in AZ %q, which holds no storage replica (a witness region or an unknown AZ)", c.ID, c.AZ)
	}
	nodes := e.SessionNodes(c, "client", "qp")
	s := &session{e: e, client: nodes[0], qp: nodes[1], rep: rep}
	e.watchQP(s)
	return s, nil
}

// Close hangs up: an open commit round is abandoned (failover.go).
func (s *session) Close() error {
	s.abandon()
	return nil
}

// Begin is free: like PostgreSQL, the snapshot is taken at the first
// statement, and drivers pipeline BEGIN with it.
func (s *session) Begin(ctx context.Context, o engines.TxnOptions) (engines.Txn, error) {
	// The previous transaction's record is reused when it is finished and
	// nothing holds it, as 2pc's is: a transaction was 22% of the bytes
	// an occ YCSB-A run allocated.
	t := simengine.Recycle(&s.cur, (*txn).reusable)
	*t = txn{} // cleared, then set: as 2pc's Begin
	t.s, t.e, t.opts, t.id, t.trips.OneShot = s, s.e, o, s.e.NextTxn(), o.OneShot
	t.ws.Sized = true // checkLimits reads its Bytes
	return t, nil
}

type txn struct {
	e    *Engine
	s    *session
	opts engines.TxnOptions
	id   uint64

	started bool
	start   storage.Timestamp
	snap    storage.SnapshotID
	begun   sim.Time
	done    bool

	// ws is the write set buffered at the QP; its row keys are what the
	// adjudicators validate (FOR UPDATE rows included).
	ws   txnkit.WriteSet
	info engines.TxnInfo
	// lost: the session was abandoned (QP lost, connection closed); round:
	// the open two-phase round, for abandoning it (failover.go).
	lost  bool
	round *openRound
	// grouped: a set-oriented statement is running (engines.Grouper).
	grouped simengine.Grouped
	// trips are the client's messages to the QP (one per statement, or
	// one request and one reply for a one-shot transaction).
	trips simengine.Trips
	// refs counts what may still use the transaction — its methods while
	// they run (a statement cut off by a timeout runs on in its own
	// process) and the second-phase notices it spawned (commit.go's
	// notify) — so that Begin reuses it only when nothing does.
	refs simengine.Refs
	// one backs the key group of a transaction that writes one row
	// (groupByAdjudicator): most writing transactions.
	one struct {
		g   [1]keyGroup
		key [1]string
	}
}

type openRound struct {
	groups []keyGroup
	rec    *commitRecord
}

// reusable: the transaction is finished and nothing uses its record.
func (t *txn) reusable() bool { return t.done && t.refs.Idle() }

func (t *txn) Info() engines.TxnInfo { return t.info }

// statement runs one SQL statement: the client's round trip to its QP, the
// QP's CPU, and body (which may go to storage). The snapshot is fixed at the
// QP when the first statement arrives.
func (t *txn) statement(ctx context.Context, body func(p *sim.Proc) error) error {
	return t.statementThen(ctx, 0, body)
}

// statementThen is statement with tail of QP CPU after a body that
// succeeds, before the answer (an UPDATE's new tuple): the service and
// the reply as one (Trips.ExecReply).
func (t *txn) statementThen(ctx context.Context, tail sim.Time, body func(p *sim.Proc) error) error {
	defer t.refs.Hold().Release()
	if t.done {
		return errors.New("occ: transaction already finished")
	}
	p := sim.ProcFrom(ctx)
	if t.grouped.In {
		err := body(p)
		if err == nil {
			t.s.qp.CPU.Exec(p, tail)
		}
		return err
	}
	t.trips.Request(p, t.e.Cluster, t.s.client, t.s.qp)
	if !t.started {
		t.started = true
		t.begun = p.Now()
		t.start = storage.Timestamp(t.s.qp.Clock.Now().Latest)
		t.snap = t.e.Snaps.Acquire(t.start)
	}
	t.s.qp.CPU.Exec(p, t.e.cfg.StatementCPU)
	err := body(p)
	_, aborted := engines.AsAbort(err)
	if err == nil {
		t.trips.ExecReply(p, t.e.Cluster, t.s.qp, t.s.client, tail, false)
	} else {
		t.trips.Reply(p, t.e.Cluster, t.s.qp, t.s.client, aborted)
	}
	if aborted {
		t.finish()
	}
	return err
}

// Statement runs body as one statement: one client round trip and the
// QP's statement CPU; the rows body reads or writes go from the QP to
// storage (engines.Grouper).
func (t *txn) Statement(ctx context.Context, body func(ctx context.Context) error) error {
	return t.grouped.Statement(ctx, t.statement, body)
}

// Parallel sends a statement's row requests from the QP at once.
func (t *txn) Parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	return simengine.Parallel(ctx, n, "occ-rows", fn)
}

// Modify is an UPDATE assigning expressions: the QP reads the row and
// buffers the new version, as for any UPDATE.
func (t *txn) Modify(ctx context.Context, tb *engines.Table, k engines.Key, as []engines.Assign) (row engines.Row, ok bool, err error) {
	err = t.write(ctx, func(p *sim.Proc) error {
		rk, enc := txnkit.Keys(tb, k)
		old, found, own := t.ws.Read(tb, enc)
		if !own {
			old, found = t.readStorage(p, tb, k, enc, nil)
		}
		if !found {
			return nil
		}
		if own {
			row = engines.Apply(old, as) // the write set's row stays as it was
		} else {
			row = engines.ApplyInPlace(old, as) // unpacked for this statement alone
		}
		ok = true
		t.ws.PutKeyed(tb, k, rk, enc, row)
		return t.checkLimits()
	})
	return row, ok, err
}

func (t *txn) finish() {
	if t.done {
		return
	}
	t.done = true
	if t.started {
		t.e.Snaps.Release(t.snap)
	}
}

// readStorage fetches one row as of the snapshot from the local replica,
// unpacked into dst's array when it is large enough (Packed.RowInto).
func (t *txn) readStorage(p *sim.Proc, tb *engines.Table, k engines.Key, enc string, dst engines.Row) (engines.Row, bool) {
	packed, ok := t.readPacked(p, tb, k, enc)
	return packed.RowInto(dst), ok
}

// readPacked is readStorage, the row left packed.
func (t *txn) readPacked(p *sim.Proc, tb *engines.Table, k engines.Key, enc string) (engines.Packed, bool) {
	node := t.s.rep.nodeFor(tb, k, len(t.e.adjs))
	t.e.Cluster.Send(p, t.s.qp, node)
	t.e.waitReadable(p, t.s.rep, t.start)
	// The service, the read at its end and the reply as one
	// (Cluster.ExecSend).
	rd := t.e.Reads.Take(t.s.rep.view, tb.ID, enc, t.start)
	defer t.e.Reads.Give(rd)
	t.e.Cluster.ExecSend(p, node, t.s.qp, t.e.cfg.ReadCPU, rd)
	if rd.Err != nil {
		panic("occ: read before the replica caught up: " + rd.Err.Error()) // waitReadable guarantees it
	}
	return rd.Row, rd.OK
}

// read sees the transaction's own writes first (read-your-writes). enc is
// k's encoding, which the callers that then write the row reuse.
func (t *txn) read(p *sim.Proc, tb *engines.Table, k engines.Key, enc string, dst engines.Row) (engines.Row, bool) {
	if row, exists, own := t.ws.Read(tb, enc); own {
		return row, exists
	}
	return t.readStorage(p, tb, k, enc, dst)
}

func (t *txn) Get(ctx context.Context, tb *engines.Table, k engines.Key) (engines.Row, bool, error) {
	return t.GetInto(ctx, tb, k, nil)
}

// GetInto implements engines.IntoGetter.
func (t *txn) GetInto(ctx context.Context, tb *engines.Table, k engines.Key, dst engines.Row) (r engines.Row, ok bool, err error) {
	err = t.statement(ctx, func(p *sim.Proc) error {
		r, ok = t.read(p, tb, k, k.Encode(), dst)
		return nil
	})
	return r, ok, err
}

// GetForUpdate reads and adds the key to the validation set: DSQL treats
// SELECT ... FOR UPDATE rows as written for conflict detection.
func (t *txn) GetForUpdate(ctx context.Context, tb *engines.Table, k engines.Key) (r engines.Row, ok bool, err error) {
	err = t.statement(ctx, func(p *sim.Proc) error {
		enc := k.Encode()
		r, ok = t.read(p, tb, k, enc, nil)
		if t.ws.Lock(tb, k, enc) {
			return t.checkLimits()
		}
		return nil
	})
	return r, ok, err
}

func (t *txn) Insert(ctx context.Context, tb *engines.Table, r engines.Row) error {
	if err := tb.CheckRow(r); err != nil {
		return err
	}
	return t.write(ctx, func(p *sim.Proc) error {
		k := tb.KeyOf(r)
		rk, enc := txnkit.Keys(tb, k)
		if _, exists := t.read(p, tb, k, enc, nil); exists {
			return engines.ErrDuplicateKey
		}
		t.ws.PutKeyed(tb, k, rk, enc, r)
		return t.checkLimits()
	})
}

func (t *txn) Update(ctx context.Context, tb *engines.Table, k engines.Key, sets ...engines.Set) error {
	return t.write(ctx, func(p *sim.Proc) error {
		rk, enc := txnkit.Keys(tb, k)
		if old, ok, own := t.ws.Read(tb, enc); own {
			if !ok {
				return engines.ErrNotFound
			}
			t.ws.PutKeyed(tb, k, rk, enc, txnkit.Updated(old, sets))
			return t.checkLimits()
		}
		// The stored row's bytes, patched: nothing unpacked or packed
		// again (Packed.Patch).
		old, ok := t.readPacked(p, tb, k, enc)
		if !ok {
			return engines.ErrNotFound
		}
		t.ws.PutPacked(tb, k, rk, enc, old.Patch(sets))
		return t.checkLimits()
	})
}

func (t *txn) Delete(ctx context.Context, tb *engines.Table, k engines.Key) error {
	return t.write(ctx, func(p *sim.Proc) error {
		enc := k.Encode()
		if _, ok := t.read(p, tb, k, enc, nil); !ok {
			return engines.ErrNotFound
		}
		t.ws.Delete(tb, k, enc)
		return t.checkLimits()
	})
}

func (t *txn) write(ctx context.Context, body func(p *sim.Proc) error) error {
	if t.opts.ReadOnly {
		return engines.ErrReadOnly
	}
	// Building the new tuple and its index entries at the QP, after the
	// body: what makes DSQL's UPDATE dearer than its SELECT (Fig. 6).
	return t.statementThen(ctx, t.e.cfg.WriteCPU, body)
}

// checkLimits enforces DSQL's per-transaction size limits after a write
// was buffered.
func (t *txn) checkLimits() error {
	if t.ws.Len() > t.e.cfg.MaxRows || t.ws.Bytes() > t.e.cfg.MaxBytes {
		t.e.stats.LimitAborts++
		return &engines.AbortError{Reason: engines.ReasonLimit, Retryable: false,
			Err: fmt.Errorf("transaction modifies more than %d rows or %d bytes", t.e.cfg.MaxRows, t.e.cfg.MaxBytes)}
	}
	return nil
}

func (t *txn) Scan(ctx context.Context, tb *engines.Table, s engines.ScanSpec) (rows []engines.Row, err error) {
	err = t.statement(ctx, func(p *sim.Proc) error {
		rows = t.scan(p, tb, s)
		return nil
	})
	return rows, err
}

// scan reads the range from the storage nodes that can hold it (one when
// the range is within one shard-key value, else all of the AZ's nodes in
// parallel) and merges the transaction's own writes.
func (t *txn) scan(p *sim.Proc, tb *engines.Table, s engines.ScanSpec) []engines.Row {
	from, to := txnkit.Range(s)
	own := t.ws.Overlay(tb, from, to, s.Reverse, s.Limit)
	limit := own.SourceLimit()
	nodes := t.s.rep.nodes
	if _, single := txnkit.SingleShardValue(tb, s); single {
		nodes = []*sim.Node{t.s.rep.nodeFor(tb, s.Start, len(t.e.adjs))}
	}
	// Every node sees the shared store and returns the first rows it owns.
	// The first node process past the replica's read wait (after which the
	// store is complete as of the snapshot) splits the range among all the
	// nodes in one pass; the others take their share of it.
	var shares map[*sim.Node][]txnkit.KeyedRow
	split := func() {
		shares = make(map[*sim.Node][]txnkit.KeyedRow, len(nodes))
		full := 0
		err := t.s.rep.view.Scan(tb.ID, from, to, t.start, 0, s.Reverse, engines.Unpacking(func(k string, r engines.Row) bool {
			owner := nodes[0]
			if len(nodes) > 1 {
				owner = t.s.rep.nodeForHash(engines.HashValue(tb.ShardValueOfRow(r)), len(t.e.adjs))
			}
			got := shares[owner]
			if limit > 0 && len(got) >= limit {
				return true // this node already has its rows; others may not
			}
			shares[owner] = append(got, txnkit.KeyedRow{Enc: k, Row: r})
			if limit > 0 && len(shares[owner]) == limit {
				full++
			}
			return limit == 0 || full < len(nodes)
		}))
		if err != nil {
			panic("occ: scan before the replica caught up: " + err.Error())
		}
	}
	// sim.FanOut charges the QP the slowest node's ledger, so the wait
	// shows as network, read wait and CPU as each node spent it.
	lists := sim.FanOut(p, len(nodes), "occ-scan", func(c *sim.Proc, i int) []txnkit.KeyedRow {
		node := nodes[i]
		t.e.Cluster.Send(c, t.s.qp, node)
		t.e.waitReadable(c, t.s.rep, t.start)
		if shares == nil {
			split()
		}
		got := shares[node]
		node.CPU.Exec(c, t.e.cfg.ReadCPU+t.e.cfg.ScanRowCPU*sim.Time(len(got)))
		t.e.Cluster.Send(c, node, t.s.qp)
		return got
	})
	return txnkit.Rows(own.Merge(lists...))
}

func (t *txn) Rollback(ctx context.Context) error {
	defer t.refs.Hold().Release()
	if t.done {
		return nil
	}
	p := sim.ProcFrom(ctx)
	t.trips.Request(p, t.e.Cluster, t.s.client, t.s.qp)
	t.trips.Reply(p, t.e.Cluster, t.s.qp, t.s.client, true)
	t.finish()
	return nil
}
