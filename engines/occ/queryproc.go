package occ

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// session is one client connection and its dedicated query processor.
type session struct {
	e      *Engine
	client *sim.Node
	qp     *sim.Node
	rep    *replica
}

// Session places the client and its query processor in the client's AZ.
func (e *Engine) Session(_ context.Context, c engines.Client) (engines.Session, error) {
	rep := e.replicaIn(c.AZ)
	if rep == nil {
		return nil, fmt.Errorf("occ: client %d is in AZ %q, which holds no storage replica (a witness region or an unknown AZ)", c.ID, c.AZ)
	}
	e.sessions++
	return &session{
		e:      e,
		client: e.cl.AddNode(fmt.Sprintf("client-%d-%d", c.ID, e.sessions), c.AZ, 1),
		qp:     e.cl.AddNode(fmt.Sprintf("qp-%d-%d", c.ID, e.sessions), c.AZ, 1),
		rep:    rep,
	}, nil
}

func (s *session) Close() error { return nil }

// Begin is free: like PostgreSQL, the snapshot is taken at the first
// statement, and drivers pipeline BEGIN with it.
func (s *session) Begin(ctx context.Context, o engines.TxnOptions) (engines.Txn, error) {
	s.e.nextTxn++
	return &txn{s: s, e: s.e, opts: o, id: s.e.nextTxn, writes: map[string]*write{}}, nil
}

// write is one buffered row change at the QP.
type write struct {
	table   *engines.Table
	key     engines.Key
	enc     string
	row     engines.Row // nil for a delete or a FOR UPDATE lock
	deleted bool
	lock    bool // FOR UPDATE only: validated like a write, installs nothing
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

	writes map[string]*write // by validation key
	order  []string          // validation keys in first-touch order
	bytes  int
	info   engines.TxnInfo
}

func (t *txn) Info() engines.TxnInfo { return t.info }

// vkey is the key adjudicators validate: table and primary key.
func vkey(tb *engines.Table, enc string) string { return string(rune(tb.ID)) + "\x00" + enc }

// statement runs one SQL statement: the client's round trip to its QP, the
// QP's CPU, and body (which may go to storage). The snapshot is fixed at the
// QP when the first statement arrives.
func (t *txn) statement(ctx context.Context, body func(p *sim.Proc) error) error {
	if t.done {
		return errors.New("occ: transaction already finished")
	}
	p := sim.ProcFrom(ctx)
	t.e.cl.Send(p, t.s.client, t.s.qp)
	if !t.started {
		t.started = true
		t.begun = p.Now()
		t.start = storage.Timestamp(t.s.qp.Clock.Now().Latest)
		t.snap = t.e.snaps.Acquire(t.start)
	}
	t.s.qp.CPU.Exec(p, t.e.cfg.StatementCPU)
	err := body(p)
	t.e.cl.Send(p, t.s.qp, t.s.client)
	if _, aborted := engines.AsAbort(err); aborted {
		t.finish()
	}
	return err
}

func (t *txn) finish() {
	if t.done {
		return
	}
	t.done = true
	if t.started {
		t.e.snaps.Release(t.snap)
	}
}

// readStorage fetches one row as of the snapshot from the local replica.
func (t *txn) readStorage(p *sim.Proc, tb *engines.Table, k engines.Key, enc string) (engines.Row, bool) {
	node := t.s.rep.nodeFor(tb, k, len(t.e.adjs))
	t.e.cl.Send(p, t.s.qp, node)
	t.e.waitReadable(p, t.s.rep, t.start)
	node.CPU.Exec(p, t.e.cfg.ReadCPU)
	row, ok, err := t.s.rep.view.Get(tb.ID, enc, t.start)
	if err != nil {
		panic("occ: read before the replica caught up: " + err.Error()) // waitReadable guarantees it
	}
	t.e.cl.Send(p, node, t.s.qp)
	return row, ok
}

// read sees the transaction's own writes first (read-your-writes).
func (t *txn) read(p *sim.Proc, tb *engines.Table, k engines.Key) (engines.Row, bool) {
	enc := k.Encode()
	if w, ok := t.writes[vkey(tb, enc)]; ok && !w.lock {
		return w.row, !w.deleted
	}
	return t.readStorage(p, tb, k, enc)
}

func (t *txn) Get(ctx context.Context, tb *engines.Table, k engines.Key) (r engines.Row, ok bool, err error) {
	err = t.statement(ctx, func(p *sim.Proc) error {
		r, ok = t.read(p, tb, k)
		return nil
	})
	return r, ok, err
}

// GetForUpdate reads and adds the key to the validation set: DSQL treats
// SELECT ... FOR UPDATE rows as written for conflict detection.
func (t *txn) GetForUpdate(ctx context.Context, tb *engines.Table, k engines.Key) (r engines.Row, ok bool, err error) {
	err = t.statement(ctx, func(p *sim.Proc) error {
		r, ok = t.read(p, tb, k)
		enc := k.Encode()
		if _, seen := t.writes[vkey(tb, enc)]; !seen {
			return t.buffer(&write{table: tb, key: k, enc: enc, lock: true})
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
		if _, exists := t.read(p, tb, k); exists {
			return engines.ErrDuplicateKey
		}
		return t.buffer(&write{table: tb, key: k, enc: k.Encode(), row: r})
	})
}

func (t *txn) Update(ctx context.Context, tb *engines.Table, k engines.Key, sets ...engines.Set) error {
	return t.write(ctx, func(p *sim.Proc) error {
		old, ok := t.read(p, tb, k)
		if !ok {
			return engines.ErrNotFound
		}
		row := old.Clone()
		for _, s := range sets {
			row[s.Col] = s.Val
		}
		return t.buffer(&write{table: tb, key: k, enc: k.Encode(), row: row})
	})
}

func (t *txn) Delete(ctx context.Context, tb *engines.Table, k engines.Key) error {
	return t.write(ctx, func(p *sim.Proc) error {
		if _, ok := t.read(p, tb, k); !ok {
			return engines.ErrNotFound
		}
		return t.buffer(&write{table: tb, key: k, enc: k.Encode(), deleted: true})
	})
}

func (t *txn) write(ctx context.Context, body func(p *sim.Proc) error) error {
	if t.opts.ReadOnly {
		return engines.ErrReadOnly
	}
	return t.statement(ctx, body)
}

// buffer records a write at the QP and enforces DSQL's size limits.
func (t *txn) buffer(w *write) error {
	vk := vkey(w.table, w.enc)
	prev, seen := t.writes[vk]
	if !seen {
		t.order = append(t.order, vk)
	} else if w.lock && !prev.lock {
		return nil
	}
	t.writes[vk] = w
	if w.row != nil {
		t.bytes += w.row.Size()
	}
	if len(t.order) > t.e.cfg.MaxRows || t.bytes > t.e.cfg.MaxBytes {
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

type keyedRow struct {
	enc string
	row engines.Row
}

// scan reads the range from the storage nodes that can hold it (one when
// the range is within one shard-key value, else all of the AZ's nodes in
// parallel) and merges the transaction's own writes.
func (t *txn) scan(p *sim.Proc, tb *engines.Table, s engines.ScanSpec) []engines.Row {
	from, to := s.Start.Encode(), s.End.Encode()
	if s.EndInclusivePrefix || len(s.End) == 0 {
		to = engines.PrefixEnd(to)
	}
	var own []keyedRow
	deleted := map[string]bool{}
	for _, vk := range t.order {
		w := t.writes[vk]
		if w.table != tb || w.lock || w.enc < from || (to != "" && w.enc >= to) {
			continue
		}
		deleted[w.enc] = true // storage's version is superseded either way
		if !w.deleted {
			own = append(own, keyedRow{w.enc, w.row})
		}
	}
	limit := 0
	if s.Limit > 0 {
		limit = s.Limit + len(deleted)
	}
	nodes := t.s.rep.nodes
	if single := singleShardRange(tb, s); single {
		nodes = []*sim.Node{t.s.rep.nodeFor(tb, s.Start, len(t.e.adjs))}
	}
	// Every node sees the shared store and returns the first rows it owns.
	// The first node process past the replica's read wait (after which the
	// store is complete as of the snapshot) splits the range among all the
	// nodes in one pass; the others take their share of it.
	var shares map[*sim.Node][]keyedRow
	split := func() {
		shares = make(map[*sim.Node][]keyedRow, len(nodes))
		full := 0
		err := t.s.rep.view.Scan(tb.ID, from, to, t.start, 0, s.Reverse, func(k string, r engines.Row) bool {
			owner := nodes[0]
			if len(nodes) > 1 {
				owner = t.s.rep.nodeForHash(engines.HashValue(tb.ShardValueOfRow(r)), len(t.e.adjs))
			}
			got := shares[owner]
			if limit > 0 && len(got) >= limit {
				return true // this node already has its rows; others may not
			}
			shares[owner] = append(got, keyedRow{k, r})
			if limit > 0 && len(shares[owner]) == limit {
				full++
			}
			return limit == 0 || full < len(nodes)
		})
		if err != nil {
			panic("occ: scan before the replica caught up: " + err.Error())
		}
	}
	parts := make([]*sim.Future[[]keyedRow], len(nodes))
	for i, node := range nodes {
		parts[i] = sim.Go(t.e.k, "occ-scan", func(c *sim.Proc) []keyedRow {
			t.e.cl.Send(c, t.s.qp, node)
			t.e.waitReadable(c, t.s.rep, t.start)
			if shares == nil {
				split()
			}
			got := shares[node]
			node.CPU.Exec(c, t.e.cfg.ReadCPU+t.e.cfg.ScanRowCPU*sim.Time(len(got)))
			t.e.cl.Send(c, node, t.s.qp)
			return got
		})
	}
	sim.Await(p, sim.All(t.e.k, parts), sim.CatNetwork)
	var all []keyedRow
	for _, f := range parts {
		for _, kr := range f.Value() {
			if !deleted[kr.enc] {
				all = append(all, kr)
			}
		}
	}
	all = append(all, own...)
	sort.Slice(all, func(i, j int) bool {
		if s.Reverse {
			return all[i].enc > all[j].enc
		}
		return all[i].enc < all[j].enc
	})
	if s.Limit > 0 && len(all) > s.Limit {
		all = all[:s.Limit]
	}
	rows := make([]engines.Row, len(all))
	for i, kr := range all {
		rows[i] = kr.row
	}
	return rows
}

// singleShardRange: both bounds fix the same shard-key value, so one node
// holds the whole range.
func singleShardRange(tb *engines.Table, s engines.ScanSpec) bool {
	if len(s.Start) == 0 || len(s.End) == 0 {
		return false
	}
	a, b := tb.ShardValue(s.Start), tb.ShardValue(s.End)
	return !a.IsNull() && a.Equal(b)
}

func (t *txn) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	p := sim.ProcFrom(ctx)
	t.e.cl.Send(p, t.s.client, t.s.qp)
	t.e.cl.Send(p, t.s.qp, t.s.client)
	t.finish()
	return nil
}

func (t *txn) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("occ: transaction already finished")
	}
	p := sim.ProcFrom(ctx)
	defer t.finish()
	t.e.cl.Send(p, t.s.client, t.s.qp)
	defer t.e.cl.Send(p, t.s.qp, t.s.client)
	if len(t.order) == 0 {
		// Read-only: nothing to validate, nothing to log; never aborts.
		t.e.stats.ReadOnlyCommits++
		return nil
	}
	t.s.qp.CPU.Exec(p, t.e.cfg.StatementCPU)
	if p.Now()-t.begun > t.e.cfg.MaxDuration {
		t.e.stats.LimitAborts++
		return &engines.AbortError{Reason: engines.ReasonLimit, Retryable: false,
			Err: fmt.Errorf("transaction ran longer than %v", t.e.cfg.MaxDuration)}
	}
	groups := t.groupByAdjudicator()
	t.info.Participants = len(groups)
	var err error
	if len(groups) == 1 {
		err = t.commitOne(p, groups[0])
	} else {
		t.e.stats.TwoPhase++
		err = t.commitMany(p, groups)
	}
	if err == nil {
		t.e.stats.Commits++
	}
	return err
}

// keyGroup is the part of a write set one adjudicator owns.
type keyGroup struct {
	adj  *adjNode
	keys []string
}

func (t *txn) groupByAdjudicator() []keyGroup {
	byAdj := map[int]*keyGroup{}
	var ids []int
	for _, vk := range t.order {
		w := t.writes[vk]
		i := t.e.adjudicatorFor(w.table, w.key)
		g := byAdj[i]
		if g == nil {
			g = &keyGroup{adj: t.e.adjs[i]}
			byAdj[i] = g
			ids = append(ids, i)
		}
		g.keys = append(g.keys, vk)
	}
	slices.Sort(ids)
	out := make([]keyGroup, len(ids))
	for i, id := range ids {
		out[i] = *byAdj[id]
	}
	return out
}

func (t *txn) conflict(vk string) error {
	t.e.stats.Conflicts++
	w := t.writes[vk]
	return &engines.AbortError{Reason: engines.ReasonConflict, Retryable: true,
		Table: w.table.Name, Key: w.key.String()}
}

func (t *txn) validateCPU(g keyGroup) sim.Time {
	return t.e.cfg.ValidateCPU + t.e.cfg.ValidateKey*sim.Time(len(g.keys))
}

// commitOne: the single owning adjudicator validates, picks τ_commit,
// journals, waits out its clock uncertainty (overlapped with the journal
// round) and acknowledges.
func (t *txn) commitOne(p *sim.Proc, g keyGroup) error {
	a := g.adj
	t.e.cl.Send(p, t.s.qp, a.node)
	defer t.e.cl.Send(p, a.node, t.s.qp)
	a.node.CPU.Exec(p, t.validateCPU(g))
	if k, ok := a.Check(t.id, t.start, g.keys); !ok {
		return t.conflict(k)
	}
	ts := a.Propose(storage.Timestamp(a.node.Clock.Now().Latest), t.start, g.keys)
	a.Commit(t.id, ts, g.keys)
	rec := t.e.journal.register(t.e.k, t.id, ts)
	t.decide(rec, ts)
	t.e.journalAppend(p, a.node, rec)
	a.node.Clock.WaitUntilEarliestAfter(p, int64(ts), sim.CatCommitWait)
	return nil
}

// decide makes the outcome final and installs the versions in the shared
// store; replicas expose them only once they have applied the record.
func (t *txn) decide(rec *commitRecord, ts storage.Timestamp) {
	rec.ts = ts
	for _, vk := range t.order {
		w := t.writes[vk]
		if w.lock {
			continue
		}
		t.e.store.Install(w.table.ID, w.enc, ts, w.row, w.deleted)
	}
	rec.decided.Set(true)
}

type vote struct {
	ok       bool
	conflict string
	proposal storage.Timestamp
}

// commitMany: a two-phase round among the owning adjudicators. Each
// validates and holds its keys (prepared), proposing a timestamp; the QP
// takes the largest; the lowest-numbered adjudicator writes the one journal
// record and the others learn the outcome asynchronously.
func (t *txn) commitMany(p *sim.Proc, groups []keyGroup) error {
	var rec *commitRecord
	votes := make([]*sim.Future[vote], len(groups))
	for i, g := range groups {
		votes[i] = sim.Go(t.e.k, "occ-prepare", func(c *sim.Proc) vote {
			a := g.adj
			t.e.cl.Send(c, t.s.qp, a.node)
			a.node.CPU.Exec(c, t.validateCPU(g))
			v := vote{}
			if k, ok := a.Check(t.id, t.start, g.keys); !ok {
				v.conflict = k
			} else {
				v.ok = true
				v.proposal = a.Propose(storage.Timestamp(a.node.Clock.Now().Latest), t.start, g.keys)
				a.Prepare(t.id, g.keys)
				if rec == nil {
					rec = t.e.journal.register(t.e.k, t.id, v.proposal)
				}
				rec.lower = min(rec.lower, v.proposal)
			}
			t.e.cl.Send(c, a.node, t.s.qp)
			return v
		})
	}
	sim.Await(p, sim.All(t.e.k, votes), sim.CatNetwork)
	var ts storage.Timestamp
	conflict := ""
	for _, f := range votes {
		v := f.Value()
		if !v.ok && conflict == "" {
			conflict = v.conflict
		}
		ts = max(ts, v.proposal)
	}
	if conflict != "" {
		for i, g := range groups {
			if votes[i].Value().ok {
				t.notify(g, func(a *adjNode) { a.Release(t.id, g.keys) })
			}
		}
		if rec != nil {
			rec.decided.Set(false)
		}
		return t.conflict(conflict)
	}
	lead := groups[0].adj
	t.e.cl.Send(p, t.s.qp, lead.node)
	defer t.e.cl.Send(p, lead.node, t.s.qp)
	lead.node.CPU.Exec(p, t.e.cfg.ValidateCPU)
	lead.Commit(t.id, ts, groups[0].keys)
	t.decide(rec, ts)
	t.e.journalAppend(p, lead.node, rec)
	for _, g := range groups[1:] {
		t.notify(g, func(a *adjNode) { a.Commit(t.id, ts, g.keys) })
	}
	lead.node.Clock.WaitUntilEarliestAfter(p, int64(ts), sim.CatCommitWait)
	return nil
}

// notify delivers a second-phase message to an adjudicator asynchronously.
func (t *txn) notify(g keyGroup, apply func(a *adjNode)) {
	from := t.s.qp
	t.e.k.Spawn("occ-notify", func(c *sim.Proc) {
		t.e.cl.Send(c, from, g.adj.node)
		apply(g.adj)
	})
}
