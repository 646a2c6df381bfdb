package occ

import (
	"fmt"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// DefaultAdjudicatorFailover is how long an adjudicator's node is down
// before another node takes its key ranges over. Aurora DSQL does not
// publish the figure; 5 s is an assumption (detection by missed heartbeats
// plus recovery of the validation state from the journal), documented in
// docs/models.md. Config.AdjudicatorFailover (--occ-adjudicator-failover)
// changes it.
const DefaultAdjudicatorFailover = 5 * time.Second

// DefaultQPLost is how long the adjudicators hold the keys of a two-phase
// round whose query processor went silent before they abort it (an
// assumption, like the failover time). Config.QPLost (--occ-qp-lost)
// changes it.
const DefaultQPLost = 5 * time.Second

// ReasonQPLost: the transaction's QP was lost (crashed, or its client hung
// up after a timeout) before the commit was decided.
const ReasonQPLost engines.Reason = "qp-lost"

func (e *Engine) watchAdjudicators() {
	for i, a := range e.adjs {
		e.watchAdjudicator(i, a, a.node)
	}
}

// watchAdjudicator fails adjudicator i over once its node n has been
// unable to reach a majority of the journal replicas for
// Config.AdjudicatorFailover: crashed, or partitioned into a minority
// (it cannot journal a commit then, and the majority side's failure
// detector has stopped hearing from it).
func (e *Engine) watchAdjudicator(i int, a *adjNode, n *sim.Node) {
	e.Cluster.OnCutOff(n, e.journal.nodes, e.cfg.AdjudicatorFailover, func() {
		if a.node == n && e.Cluster.CutOff(n, e.journal.nodes) {
			e.failoverAdjudicator(i, a)
		}
	})
}

// failoverAdjudicator moves adjudicator i to a new node in the live AZ
// nearest its old one (its own region first): the validation state is the
// journal's, which survives on its quorum. Commits the old node had decided
// are journaled from the new one (their clients never heard; finishing them
// is an outcome they must expect).
func (e *Engine) failoverAdjudicator(i int, a *adjNode) {
	old := a.node
	topo := e.Cluster.Topology()
	best := e.Cluster.NearestAZReaching(old, e.journal.nodes)
	if best == "" {
		return // nowhere to go: the adjudicator waits for its node
	}
	e.stats.Failovers++
	n := e.Cluster.AddNode(fmt.Sprintf("%s-%d", old.Name, e.stats.Failovers), best, e.cfg.Cores)
	a.node = n
	for _, rep := range e.replicas {
		rep.closedLag[i] = topo.RTT(n.AZ, e.journal.nodes[rep.journal].AZ).Median/2 + rep.applyLag
	}
	for _, rec := range e.journal.inflight {
		if rec.decided.Done() && rec.decided.Value() && !rec.durable.Done() {
			rec.owned = false // appended twice by some replicas: not reused
			e.Kernel.Launch("occ-rejournal", func(c *sim.Proc) { e.journalAppend(c, n, rec) })
		}
	}
	e.watchAdjudicator(i, a, n)
}

// watchQP aborts the open commit of a session whose QP has been down for
// Config.QPLost.
func (e *Engine) watchQP(s *session) {
	e.Cluster.OnDown(s.qp, e.cfg.QPLost, func() { s.abandon() })
}

// abandon ends the session's open transaction: an undecided two-phase
// round releases its keys at every adjudicator and fails its journal record
// (so no reader waits for it), and the transaction aborts if its QP ever
// goes on (commit checks lost before deciding).
func (s *session) abandon() {
	t := s.cur
	if t == nil || t.done || t.lost {
		return
	}
	t.lost = true
	if r := t.round; r != nil && !r.rec.decided.Done() {
		for _, g := range r.groups {
			g.adj.Release(t.id, g.keys)
		}
		r.rec.decided.Set(false)
	}
}

func (t *txn) lostAbort() error {
	return &engines.AbortError{Reason: ReasonQPLost, Retryable: true}
}
