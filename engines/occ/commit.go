package occ

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// The commit path: OCC validation at the adjudicators that own the write
// set's keys (first committer wins), the journal write, and commit wait.
// One adjudicator validates and commits alone; several run a two-phase
// round among themselves first.

func (t *txn) Commit(ctx context.Context) error {
	defer t.refs.Hold().Release()
	if t.done {
		return errors.New("occ: transaction already finished")
	}
	p := sim.ProcFrom(ctx)
	defer t.finish()
	if t.ws.Len() == 0 {
		// Read-only: nothing to validate, nothing to log; never aborts.
		t.trips.Request(p, t.e.Cluster, t.s.client, t.s.qp)
		t.trips.Reply(p, t.e.Cluster, t.s.qp, t.s.client, true)
		t.e.stats.ReadOnlyCommits++
		return nil
	}
	defer t.trips.Reply(p, t.e.Cluster, t.s.qp, t.s.client, true)
	// The commit's own QP work comes before the adjudicator picks τ_commit,
	// so it delays no reader (DSQL Fig. 6: COMMIT p99 5× SELECT's). The
	// request and this service as one (Cluster.SendExec).
	t.trips.RequestExec(p, t.e.Cluster, t.s.client, t.s.qp, t.e.cfg.StatementCPU+t.e.cfg.CommitCPU)
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
	if t.ws.Len() == 1 {
		// Most writing transactions write one row: its group and the
		// group's key are held in the transaction's record (nothing keeps
		// them past it: adjudicators copy the keys they track).
		for w := range t.ws.All() {
			one := &t.one
			one.key[0] = w.RowKey
			one.g[0] = keyGroup{adj: t.e.adjs[t.e.adjudicatorFor(w.Table, w.Key)], keys: one.key[:]}
			return one.g[:]
		}
	}
	// The groups are kept in adjudicator order as they are found, their
	// ids beside them on the stack: a transaction has few adjudicators
	// (most have one), and a map by adjudicator cost more allocations
	// than the groups themselves.
	var out []keyGroup
	var idBuf [8]int
	ids := idBuf[:0]
	for w := range t.ws.All() {
		i := t.e.adjudicatorFor(w.Table, w.Key)
		j, found := slices.BinarySearch(ids, i)
		if !found {
			ids = slices.Insert(ids, j, i)
			out = slices.Insert(out, j, keyGroup{adj: t.e.adjs[i]})
		}
		out[j].keys = append(out[j].keys, w.RowKey)
	}
	return out
}

func (t *txn) conflict(vk string) error {
	t.e.stats.Conflicts++
	w := t.ws.Lookup(vk)
	return &engines.AbortError{Reason: engines.ReasonConflict, Retryable: true,
		Table: w.Table.Name, Key: w.Key.String()}
}

func (t *txn) validateCPU(g keyGroup) sim.Time {
	return t.e.cfg.ValidateCPU + t.e.cfg.ValidateKey*sim.Time(len(g.keys))
}

// commitOne: the single owning adjudicator validates, picks τ_commit,
// journals, waits out its clock uncertainty (overlapped with the journal
// round) and acknowledges.
func (t *txn) commitOne(p *sim.Proc, g keyGroup) error {
	a := g.adj
	n := a.node
	defer t.e.Cluster.Send(p, n, t.s.qp)
	t.e.Cluster.SendExec(p, t.s.qp, n, t.validateCPU(g)) // the request and its validation, as one
	if t.lost || a.node != n {
		// Abandoned while the request was held, or the adjudicator moved
		// meanwhile: the request is refused.
		return t.lostAbort()
	}
	if k, ok := a.Check(t.id, t.start, g.keys); !ok {
		return t.conflict(k)
	}
	ts := a.Propose(storage.Timestamp(a.node.Clock.Now().Latest), t.start, g.keys)
	a.Commit(t.id, ts, g.keys)
	rec := t.e.journal.register(t.e.Kernel, t.id, ts, true)
	t.decide(rec, ts)
	t.e.journalAppend(p, n, rec)
	n.Clock.WaitUntilEarliestAfter(p, int64(ts), sim.CatCommitWait)
	return nil
}

// decide makes the outcome final and installs the versions in the shared
// store; replicas expose them only once they have applied the record.
func (t *txn) decide(rec *commitRecord, ts storage.Timestamp) {
	rec.ts = ts
	for w := range t.ws.All() {
		if !w.LockOnly {
			t.e.Store.Install(w.Table.ID, w.Enc, ts, w.Pack(), w.Deleted)
			if t.e.OnDurable != nil {
				rec.rows = append(rec.rows, w.Version())
			}
		}
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
		votes[i] = sim.Go(t.e.Kernel, "occ-prepare", func(c *sim.Proc) vote {
			a := g.adj
			n := a.node
			t.e.Cluster.Send(c, t.s.qp, n)
			n.CPU.Exec(c, t.validateCPU(g))
			v := vote{}
			if t.lost || a.node != n {
				v.conflict = "" // refused: the round is abandoned below
			} else if k, ok := a.Check(t.id, t.start, g.keys); !ok {
				v.conflict = k
			} else {
				v.ok = true
				v.proposal = a.Propose(storage.Timestamp(a.node.Clock.Now().Latest), t.start, g.keys)
				a.Prepare(t.id, g.keys)
				if rec == nil {
					rec = t.e.journal.register(t.e.Kernel, t.id, v.proposal, false)
					t.round = &openRound{groups: groups, rec: rec}
				}
				rec.lower = min(rec.lower, v.proposal)
			}
			t.e.Cluster.Send(c, n, t.s.qp)
			return v
		})
	}
	sim.Await(p, sim.All(t.e.Kernel, votes), sim.CatNetwork)
	var ts storage.Timestamp
	conflict := ""
	for _, f := range votes {
		v := f.Value()
		if !v.ok && conflict == "" {
			conflict = v.conflict
		}
		ts = max(ts, v.proposal)
	}
	if t.lost || func() bool {
		for _, f := range votes {
			if !f.Value().ok && f.Value().conflict == "" {
				return true
			}
		}
		return false
	}() {
		// Abandoned (failover.go) or refused by a moved adjudicator: the
		// prepared keys go, the record fails.
		for i, g := range groups {
			if votes[i].Value().ok {
				t.notify(g, func(a *adjNode) { a.Release(t.id, g.keys) })
			}
		}
		if rec != nil {
			rec.decided.Set(false)
		}
		return t.lostAbort()
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
	ln := lead.node
	t.e.Cluster.Send(p, t.s.qp, ln)
	defer t.e.Cluster.Send(p, ln, t.s.qp)
	ln.CPU.Exec(p, t.e.cfg.ValidateCPU)
	if t.lost || lead.node != ln {
		// Abandoned while the decision was on its way (its keys and
		// record are gone already), or the lead adjudicator moved.
		if !t.lost {
			for _, g := range groups {
				t.notify(g, func(a *adjNode) { a.Release(t.id, g.keys) })
			}
			rec.decided.Set(false)
		}
		return t.lostAbort()
	}
	lead.Commit(t.id, ts, groups[0].keys)
	t.decide(rec, ts)
	t.e.journalAppend(p, ln, rec)
	for _, g := range groups[1:] {
		t.notify(g, func(a *adjNode) { a.Commit(t.id, ts, g.keys) })
	}
	ln.Clock.WaitUntilEarliestAfter(p, int64(ts), sim.CatCommitWait)
	return nil
}

// notify delivers a second-phase message to an adjudicator asynchronously.
func (t *txn) notify(g keyGroup, apply func(a *adjNode)) {
	from := t.s.qp
	t.refs.Hold()
	t.e.Cluster.Post("occ-notify", from, g.adj.node, func() {
		defer t.refs.Release()
		apply(g.adj)
	})
}
