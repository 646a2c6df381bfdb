package twopc

import (
	"slices"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// DefaultLeaderLease is how long a split's leader lease lasts (Spanner,
// OSDI 2012 §4.1.1: leases of 10 s, renewed by the Paxos majority). A
// leader that crashes keeps its lease for this long; no other replica may
// lead the split before it runs out, so the split stalls that long.
// Config.LeaderLease (--2pc-leader-lease) changes it.
const DefaultLeaderLease = 10 * time.Second

// DefaultIdleTimeout is how long a transaction whose client went silent
// keeps its locks before the leaders abort it (Spanner aborts transactions
// idle for 10 s: the "idle" abort of the brief). Config.IdleTimeout
// (--2pc-idle-timeout) changes it.
const DefaultIdleTimeout = 10 * time.Second

// ReasonIdle: the client went silent (crashed, cut off) and the leaders
// aborted its transaction after Config.IdleTimeout.
const ReasonIdle engines.Reason = "idle(ABORTED)"

// ReasonClosed: the client closed the connection (after a timeout) with
// the transaction open.
const ReasonClosed engines.Reason = "connection-closed"

// ReasonLeaderLost: a split's leader was replaced while the transaction
// held unprepared locks there; the new leader does not have them (they were
// never logged), so the transaction aborts. Spanner reports ABORTED.
const ReasonLeaderLost engines.Reason = "leader-lost(ABORTED)"

// watchLeaders arranges a failover for every replica that could lead a
// split: when it has been down for a lease while leading, another replica
// takes over.
//
// A leader renews its lease with a majority of the split's voters, so it
// loses the lease alike when it crashes and when a partition (with or
// without crashes) leaves it fewer than a majority to talk to; the majority
// side then elects a leader among the replicas that still reach a majority.
// When the partition heals the old leader finds itself replaced and steps
// down (g.leader no longer names it).
func (e *Engine) watchLeaders() {
	for _, g := range e.groups {
		voters := g.voters()
		for _, r := range g.data {
			e.Cluster.OnCutOff(r.node, voters, e.cfg.LeaderLease, func() {
				if g.leader == r && e.Cluster.CutOff(r.node, voters) {
					e.failover(g)
				}
			})
		}
	}
}

// voters are the nodes of g's voting replicas.
func (g *group) voters() []*sim.Node {
	nodes := make([]*sim.Node, len(g.replicas))
	for i, r := range g.replicas {
		nodes[i] = r.node
	}
	return nodes
}

// failover elects a new leader for g once the old one's lease ran out, as
// Spanner's Paxos does, and rebuilds the leader state from the log:
//
//   - the new leader is the live data replica nearest the old one (its own
//     region first); with none alive the split stays leaderless until the
//     old leader returns;
//   - its timestamps start above the old lease's end (now), so assigned
//     timestamps stay monotonic;
//   - commit records the old leader had decided are completed (they reach
//     every live replica now): the client never heard of them, and
//     finishing them is one of the outcomes it must expect;
//   - locks are rebuilt from the log: every undecided transaction that
//     touched the split aborts and its locks everywhere go (a coordinator
//     logs nothing before it decides; a prepared participant's vote left
//     with the old leader — Spanner would resend it, the model aborts, which
//     is safe because no decision was taken); one that was decided is
//     finished: the participants learn the outcome from the new leader.
func (e *Engine) failover(g *group) {
	if next := e.successor(g, ""); next != nil {
		e.takeOver(g, next)
	}
}

// successor is the data replica nearest g's leader (its region first)
// that reaches a majority of the voters (so it is up), outside place (""
// = anywhere); nil when there is none.
func (e *Engine) successor(g *group, place string) *replica {
	old := g.leader
	voters := g.voters()
	var next *replica
	for _, r := range g.data {
		if r == old || e.Cluster.CutOff(r.node, voters) || place != "" && r.node.In(place) {
			continue
		}
		if next == nil || closer(e.Cluster, old.node, r.node, next.node) {
			next = r
		}
	}
	return next
}

// watchHandoffs moves the leaders of a drained place (a handoff fault) to
// their successors outside it at once, as Spanner's leader handoff does
// before a planned kill (OSDI 2012 Figure 5, "leader-soft"): no lease to
// wait out, since the old leader gives leadership up. Simplified: the
// split's undecided transactions abort as on a failover (the model moves
// no lock table), which is the small dip the figure shows.
func (e *Engine) watchHandoffs() {
	e.Cluster.OnHandoff(func(place string) {
		for _, g := range e.groups {
			if !g.leader.node.In(place) || e.Cluster.Down(g.leader.node) {
				continue
			}
			if next := e.successor(g, place); next != nil {
				e.stats.Handoffs++
				e.takeOver(g, next)
			}
		}
	})
}

// takeOver makes next g's leader (see failover).
func (e *Engine) takeOver(g *group, next *replica) {
	e.stats.Failovers++
	g.leader = next
	topo := e.Cluster.Topology()
	for _, r := range g.replicas {
		r.lag = topo.RTT(next.node.AZ, r.node.AZ).Median / 2
	}
	g.lastTS = max(g.lastTS, storage.Timestamp(next.node.Clock.Now().Latest))
	now := e.Kernel.Now()
	for _, rec := range g.inflight {
		if rec.decided.Done() && rec.decided.Value() {
			for _, a := range rec.arrived {
				a.Set(now)
			}
		}
	}
	// The new leader's lock table is rebuilt from the log: locks of
	// transactions that have finished are gone with the old leader. Their
	// release messages (a client's rollback, a commit notice) were sent to
	// the old leader and are lost with it; left in the table, such a lock
	// would make every later request for the row wait until its attempt
	// timed out, for the rest of the run.
	for _, o := range g.locks.OwnerIDs() {
		if e.live.get(uint64(o)) == nil {
			e.stats.OrphanLocks++
			e.releaseOwner(g, o)
		}
	}
	var live []*txn // in id order
	e.live.each(func(t *txn) {
		if slices.Contains(t.touched, g) {
			live = append(live, t)
		}
	})
	for _, t := range live {
		switch {
		case t.decided:
			e.finishFor(g, t)
		default:
			// Undecided: the new leader has no decision (a coordinator logs
			// none before it decides) or only a prepare whose coordinator
			// is waiting for this split's vote, which the old leader took
			// with it; aborting is safe because the coordinator checks
			// (commitMany) before it decides.
			e.loseLeader(g, t)
		}
	}
}

// closer reports whether a is a better successor to old than b: in old's
// region before elsewhere, then by round trip.
func closer(cl *sim.Cluster, old, a, b *sim.Node) bool {
	if (a.Region == old.Region) != (b.Region == old.Region) {
		return a.Region == old.Region
	}
	topo := cl.Topology()
	return topo.RTT(old.AZ, a.AZ).Median < topo.RTT(old.AZ, b.AZ).Median
}

// watchClient aborts the open transaction of a session whose client node has
// been down for Config.IdleTimeout, at every split: its locks there go, and it
// aborts if its client ever comes back.
//
// Silent means unable to reach a majority of the replicas (split 0's stand
// for all: every split has a voter in the same places): crashed, or
// partitioned away from them, so that its transactions' locks are not held
// for the whole of a long partition.
func (e *Engine) watchClient(s *session) {
	nodes := append([]*sim.Node{s.client}, e.groups[0].voters()...)
	e.Cluster.OnCutOff(s.client, nodes, e.cfg.IdleTimeout, func() { e.abandon(s, ReasonIdle) })
}

// abandon aborts s's undecided transactions at every split they touched,
// at once (the leaders act on a closed connection or an idle timeout).
func (e *Engine) abandon(s *session, why engines.Reason) {
	var open []*txn // in id order
	e.live.each(func(t *txn) {
		if t.s == s && !t.decided {
			open = append(open, t)
		}
	})
	for _, t := range open {
		t.abandonedFor = why
		for _, g := range t.touched {
			e.loseLeader(g, t)
		}
	}
	// Rollbacks the session sent that have not arrived (from a crashed or
	// cut-off client they never will): the leaders' idle timeout releases
	// what those transactions still hold.
	for _, t := range s.unreleased {
		for _, g := range t.touched {
			e.release(g, t)
		}
	}
	s.unreleased = nil
}

// loseLeader aborts t, which held unlogged state at g: its records are
// failed, everything it holds at g goes at once, and its other splits are
// released by messages from g's new leader.
func (e *Engine) loseLeader(g *group, t *txn) {
	t.wounded, t.leaderLost = true, true
	for _, rec := range t.records {
		rec.decided.Set(false)
	}
	e.release(g, t)
	for _, s := range t.waits {
		if s.g == g {
			s.f.Set(false)
		}
	}
	for _, o := range t.touched {
		if o != g && t.abandonedFor == "" {
			e.releaseAsync(g.leader.node, o, t)
		}
	}
}

// finishFor completes, from g's new leader, a commit that was decided but
// whose outcome may not have reached the other participants.
func (e *Engine) finishFor(g *group, t *txn) {
	for _, o := range t.touched {
		t.refs.Hold()
		e.Kernel.Launch("2pc-commit-resend", func(c *sim.Proc) {
			e.Cluster.Send(c, g.leader.node, o.leader.node)
			for _, rec := range t.records {
				for _, a := range rec.arrived {
					a.Set(c.Now())
				}
			}
			e.release(o, t)
			t.refs.Release()
		})
	}
}
