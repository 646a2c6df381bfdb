package twopc

import (
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// group is one split: a Paxos group with a replica per zone or region and
// one leader. The leader holds the lock table and assigns timestamps; a
// record counts once a majority of replicas (the leader's own included)
// has appended it.
//
// Only the steady state is modelled. Everything that is leader state — the
// lock table, lastTS, the choice of leader itself — is reached through the
// group, never cached elsewhere, so that a later fault model can move the
// leader: see doc.go for how a failover would be modelled.
type group struct {
	id       int
	replicas []*replica  // voting members in topology order
	nodes    []*sim.Node // the replicas' nodes, in the same order
	data     []*replica  // the replicas that hold data and serve reads
	leader   *replica
	quorum   int
	locks    *lock.Table[*waitSlot]
	// drawFlush draws replica i's log-write latency: replicate's argument,
	// made once rather than as a closure every record.
	drawFlush func(i int) time.Duration
	// lastTS is the highest timestamp the leader has assigned; Spanner's
	// leaders assign monotonically increasing timestamps.
	lastTS storage.Timestamp
	// inflight holds the records that have a timestamp (or a lower bound
	// on one, while prepared) and may not be applied at every replica yet,
	// in registration order. A replica serving a snapshot read at τ waits
	// for those at or below τ; this list stands for the Paxos log stream.
	inflight []*record
	// spare holds records prune let go that nothing can reach any more
	// (see record.reusable); register hands them out again.
	spare []*record
}

type replica struct {
	node *sim.Node
	// view is this replica's applied watermark over the shared store; nil
	// for a witness, which votes but holds no data.
	view *storage.Replica[engines.Packed]
	data int // index in group.data, -1 for a witness
	// lag is the median one-way delay from the leader: how late the
	// leader's closed timestamps reach this replica.
	lag time.Duration
	// flush draws this replica's durable log-write latencies.
	flush *simengine.Latency
	// settled counts the group's first in-flight records, every one of
	// them settled at this replica (see settles): reads look only at the
	// records after them. prune keeps it in step with the list.
	settled int
}

// record is one transaction's entry in a split's Paxos log as readers see
// it: a commit, or a prepare whose outcome is not known yet.
type record struct {
	// lower bounds the commit timestamp while the outcome is open; ts is
	// the commit timestamp once decided.
	lower, ts storage.Timestamp
	decided   *sim.Future[bool] // true = committed
	// arrived[i]: when data replica i appended the commit (or outcome)
	// record, which is when it applies it.
	arrived []*sim.Future[sim.Time]
	// arrivedBuf backs arrived for up to three data replicas (most
	// groups), and the futures themselves are held here too: the record
	// is one allocation, where a record and its four futures were five.
	arrivedBuf [3]*sim.Future[sim.Time]
	decidedF   sim.Future[bool]
	arrivedF   [3]sim.Future[sim.Time]
	// g is the group the record is registered with, k its kernel, for
	// Arrived.
	g *group
	k *sim.Kernel
	// owned: only the list and the replication point at the record (a
	// single-split commit's; see reusable). arrivals counts the voters
	// that have appended it.
	owned    bool
	arrivals int32
}

// Arrived implements sim.Arrivals: voter i of the record's group has
// appended it; a data replica applies it then.
func (rec *record) Arrived(i int) {
	rec.arrivals++
	if r := rec.g.replicas[i]; r.data >= 0 {
		rec.arrived[r.data].Set(rec.k.Now())
	}
}

// assign returns a new timestamp at or above floor, above every timestamp
// the leader assigned before.
func (g *group) assign(floor storage.Timestamp) storage.Timestamp {
	ts := max(floor, g.lastTS+1)
	g.lastTS = ts
	return ts
}

// register adds a record whose commit timestamp will be at least lower.
// owned says that no transaction keeps it (reusable).
func (g *group) register(k *sim.Kernel, lower storage.Timestamp, owned bool) *record {
	rec := simengine.Spare(&g.spare)
	*rec = record{lower: lower, decidedF: sim.MakeFuture[bool](k), g: g, k: k, owned: owned}
	rec.decided = &rec.decidedF
	rec.arrived = sim.InlineFutures(k, rec.arrivedF[:], rec.arrivedBuf[:], len(g.data))
	g.inflight = append(g.inflight, rec)
	return rec
}

// replicate sends one record from the leader to every replica and returns
// once a majority has appended it; the stragglers keep going. rec, if not
// nil, learns when each data replica appended it (a commit or outcome
// record; prepare records make nothing visible).
func (e *Engine) replicate(p *sim.Proc, g *group, rec *record) {
	var appended sim.Arrivals // none for a record that makes nothing visible
	if rec != nil {
		if rec.g != g {
			panic("twopc: a record replicated in a group it is not registered with")
		}
		appended = rec
	}
	e.Cluster.ReplicateAwait(p, "paxos-accept", g.leader.node, g.nodes, e.cfg.LogAppend, g.drawFlush, appended, g.quorum, sim.CatReplication)
}

// waitSafe blocks p, at replica r of g, until r's safe time has reached ts,
// so that a snapshot read at ts sees every commit at or below ts:
//
//   - t_paxos_safe: the leader's closed timestamp (its clock's earliest
//     bound: every later timestamp it assigns is at least its latest
//     bound, which is above) has reached r; it is streamed continuously
//     and arrives after the median one-way delay;
//   - t_TM_safe: every record already at or below ts — prepared
//     transactions whose outcome is open included — is decided, and the
//     committed ones have reached r.
func (e *Engine) waitSafe(p *sim.Proc, g *group, r *replica, ts storage.Timestamp) {
	if r.view.CanRead(ts) {
		return
	}
	closed := g.leader.node.Clock.WhenEarliestReaches(int64(ts)+1) + r.lag
	p.SleepUntil(closed, sim.CatReadWait)
	// Every record at or below ts is registered by now.
	e.waitRecords(p, g, r, ts)
}

// waitRecords blocks p until every record of g at or below ts is decided
// and, if committed, applied at r; then r serves reads at ts. Waiting lets
// the list change (prune compacts it), so after a wait the scan restarts.
//
// The scan starts after the records r.settled counts, which cannot hold
// the read back: a read looked at ~22 in-flight records of which few were
// still open at its replica (YCSB-A, us-3, 64 clients). It waits for the
// same records in the same order as a scan of the whole list, which passes
// settled records without waiting.
func (e *Engine) waitRecords(p *sim.Proc, g *group, r *replica, ts storage.Timestamp) {
	for waited := true; waited; {
		waited = false
		prefix := true // every record before rec is settled
		for _, rec := range g.inflight[r.settled:] {
			if prefix = prefix && r.settles(rec); prefix {
				r.settled++
				continue
			}
			if rec.lower > ts {
				continue
			}
			if !rec.decided.Done() {
				sim.Await(p, rec.decided, sim.CatReadWait)
				waited = true
				break
			}
			if !rec.decided.Value() || rec.ts > ts {
				continue
			}
			if a := rec.arrived[r.data]; !a.Done() {
				sim.Await(p, a, sim.CatReadWait)
				waited = true
				break
			}
		}
	}
	r.view.Advance(ts)
}

// settles reports whether rec can no longer hold back a read at data
// replica r, whatever the read's timestamp: it aborted, or it committed
// and r has applied it. waitRecords passes such a record without waiting,
// and a completed future stays complete, so it stays settled.
func (r *replica) settles(rec *record) bool {
	if !rec.decided.Done() {
		return false
	}
	return !rec.decided.Value() || rec.arrived[r.data].Done()
}

// prune forgets records no replica can still be waiting for: aborted ones,
// and committed ones applied at every data replica. Each data replica's
// settled count becomes the number of records kept among those it counted.
func (g *group) prune() {
	keep := g.inflight[:0]
	for i, rec := range g.inflight {
		for _, r := range g.data {
			if r.settled == i {
				r.settled = -1 - len(keep) // the new count, marked as moved
			}
		}
		if rec.decided.Done() && (!rec.decided.Value() || rec.appliedEverywhere()) {
			if rec.reusable() {
				g.spare = append(g.spare, rec)
			}
			continue
		}
		keep = append(keep, rec)
	}
	for _, r := range g.data {
		if r.settled >= 0 { // it counted every record
			r.settled = len(keep)
		} else {
			r.settled = -1 - r.settled
		}
	}
	clear(g.inflight[len(keep):])
	g.inflight = keep
}

// reusable reports whether a record prune lets go can be handed out again:
// nothing else points at it. Pooling the records of single-split commits
// took 20 MB of garbage out of a 2pc YCSB-A run (their only allocation of
// note), so the heap stops growing into fresh pages.
//
//   - No transaction keeps it: commitOne is done with its record once the
//     replication has its quorum, and says so by registering it owned;
//     two-phase commit's records stay in their transaction's list (an
//     abort fails them), so they are left to the garbage collector.
//   - Every voter has appended it: the replication's calls point at it
//     (their Arrivals) until the last of them has. A replication that
//     never completes (a crashed replica; a failover completes the
//     futures without the calls) leaves it to the collector too.
//   - Readers that waited on its futures were woken when they completed
//     and do not look at it again (waitRecords rescans the list).
func (rec *record) reusable() bool {
	return rec.owned && int(rec.arrivals) == len(rec.g.replicas)
}

func (rec *record) appliedEverywhere() bool {
	for _, a := range rec.arrived {
		if !a.Done() {
			return false
		}
	}
	return true
}
