package occ

import (
	"cmp"
	"slices"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/simengine"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// journal is the replicated commit log: a record counts once a majority of
// journal replicas has appended it. Storage replicas apply it asynchronously.
type journal struct {
	nodes  []*sim.Node
	quorum int
	// flush[i] draws journal replica i's durable-write latencies;
	// drawFlush(i) draws one (journalAppend's argument to Replicate, made
	// once rather than as a closure every commit).
	flush     []*simengine.Latency
	drawFlush func(i int) time.Duration
	// inflight holds commits that have a timestamp (or a lower bound on one)
	// but may not yet be applied everywhere, in registration order. A
	// replica serving a read at τ must wait for those at or below τ; this
	// list stands for the journal stream that carries them.
	inflight []*commitRecord
	// records counts the records registered: a record's seq is its number,
	// so inflight is in increasing seq (see replica.settled).
	records uint64
	// spare holds copies of inflight that waitReadable used and returned,
	// so that a read that must wait does not allocate one (profiled: a
	// quarter of occ's allocated bytes under YCSB-A).
	spare [][]*commitRecord
	// Records are reused (commitRecord.reusable): spareRecs are ready for
	// register; retired ones were pruned but may still be in the copy of
	// a read that began before (waitReadable), until every such read is
	// over. epoch counts prunes; reads[i] counts the reads under way that
	// began at epoch readsFrom+i.
	spareRecs []*commitRecord
	retired   []retiredRecord
	epoch     uint64
	reads     []int
	readsFrom uint64
}

// retiredRecord is a record pruned at epoch.
type retiredRecord struct {
	rec   *commitRecord
	epoch uint64
}

type commitRecord struct {
	txn uint64
	seq uint64 // registration number, from 1
	// lower bounds the commit timestamp while the outcome is open (2PC);
	// ts is the final timestamp once decided.
	lower, ts storage.Timestamp
	decided   *sim.Future[bool] // true = committed
	// arrived[j]: when journal replica j appended the record.
	arrived []*sim.Future[sim.Time]
	// durable is set when a quorum of journal replicas has appended the
	// record; durableAt is the index of the journal replica whose append
	// completed it.
	durable   *sim.Future[sim.Time]
	durableAt int
	appended  int
	// rows are the written rows, kept only for Engine.OnDurable.
	rows []engines.Row

	// arrivedBuf backs arrived for up to three journal replicas (every
	// topology's journal so far), and the futures themselves are held
	// here too: the record is one allocation, where a record and its five
	// futures were six (40% of an occ YCSB-A run's allocations).
	arrivedBuf [3]*sim.Future[sim.Time]
	decidedF   sim.Future[bool]
	durableF   sim.Future[sim.Time]
	arrivedF   [3]sim.Future[sim.Time]
	// e is the engine appending the record, for Arrived.
	e *Engine
	// owned: no transaction keeps the record (a single adjudicator's
	// commit; see reusable).
	owned bool
}

// Arrived implements sim.Arrivals: journal replica i has appended the
// record; the quorum's append makes it durable.
func (rec *commitRecord) Arrived(i int) {
	e := rec.e
	now := e.Kernel.Now()
	rec.arrived[i].Set(now)
	if rec.appended++; rec.appended == e.journal.quorum {
		rec.durableAt = i
		rec.durable.Set(now)
		if e.OnDurable != nil {
			e.OnDurable(rec.rows, now)
		}
	}
}

// register adds a record; owned says that no transaction keeps it.
func (j *journal) register(k *sim.Kernel, txn uint64, lower storage.Timestamp, owned bool) *commitRecord {
	j.records++
	rec := simengine.Spare(&j.spareRecs)
	*rec = commitRecord{txn: txn, seq: j.records, lower: lower, decidedF: sim.MakeFuture[bool](k), durableF: sim.MakeFuture[sim.Time](k), owned: owned}
	rec.decided, rec.durable = &rec.decidedF, &rec.durableF
	rec.arrived = sim.InlineFutures(k, rec.arrivedF[:], rec.arrivedBuf[:], len(j.nodes))
	j.inflight = append(j.inflight, rec)
	return rec
}

// append replicates rec from node `from` to every journal replica and
// returns once a majority has appended it (the stragglers keep going).
func (e *Engine) journalAppend(p *sim.Proc, from *sim.Node, rec *commitRecord) {
	rec.e = e
	// ReplicateAwait: the replication's record is used again once every
	// replica has replied (7.6% of the bytes an occ YCSB-A run allocated);
	// the record itself hears of each append (Arrived), no closure.
	e.Cluster.ReplicateAwait(p, "journal-append", from, e.journal.nodes, e.cfg.JournalAppend, e.journal.drawFlush, rec, e.journal.quorum, sim.CatReplication)
}

// prune forgets records no replica can still be waiting for: aborted ones,
// and committed ones applied everywhere.
// A crashed journal replica is not waited for: nothing reads from it.
func (j *journal) prune(now sim.Time, maxLag time.Duration, down func(*sim.Node) bool) {
	keep := j.inflight[:0]
	for _, r := range j.inflight {
		if r.decided.Done() && (!r.decided.Value() || r.appliedEverywhereBy(now, maxLag, j.nodes, down)) {
			if r.reusable(len(j.nodes)) {
				j.retired = append(j.retired, retiredRecord{r, j.epoch})
			}
			continue
		}
		keep = append(keep, r)
	}
	for i := len(keep); i < len(j.inflight); i++ {
		j.inflight[i] = nil
	}
	j.inflight = keep
	j.epoch++
	j.reuseRetired()
}

// reusable reports whether a record prune lets go can be registered again
// once no read holds it (journal.retired): nothing else points at it.
// Reusing records took 15 MB of garbage out of a 30 s occ YCSB-A run.
//
//   - No transaction keeps it: commitOne is done with its record once the
//     journal has its quorum, and registers it owned; a two-phase round's
//     record stays in its transaction (openRound), so it is left to the
//     garbage collector.
//   - Every journal replica has appended it, once: the replication's calls
//     point at it (their Arrivals) until the last of them has. A record
//     journalled again after a failover, or never appended everywhere, is
//     left to the collector too.
//   - Readers that waited on its futures were woken when they completed;
//     a read that copied the list before the prune may still look at it,
//     which is what retiring it until those reads are over is for.
func (rec *commitRecord) reusable(replicas int) bool {
	return rec.owned && rec.appended == replicas
}

// beginRead notes a read that copies the in-flight list (waitReadable);
// endRead, with beginRead's result, notes its end.
func (j *journal) beginRead() uint64 {
	for uint64(len(j.reads)) <= j.epoch-j.readsFrom {
		j.reads = append(j.reads, 0)
	}
	j.reads[j.epoch-j.readsFrom]++
	return j.epoch
}

func (j *journal) endRead(epoch uint64) { j.reads[epoch-j.readsFrom]-- }

// reuseRetired makes spare the retired records no read under way can hold:
// those pruned at an epoch before the oldest read's (a read holds only
// records that were in the list when it began).
func (j *journal) reuseRetired() {
	for len(j.reads) > 0 && j.reads[0] == 0 {
		j.reads = j.reads[1:]
		j.readsFrom++
	}
	oldest := j.epoch // no read under way
	if len(j.reads) > 0 {
		oldest = j.readsFrom
	}
	n := 0
	for n < len(j.retired) && j.retired[n].epoch < oldest {
		j.spareRecs = append(j.spareRecs, j.retired[n].rec)
		n++
	}
	if n > 0 {
		m := copy(j.retired, j.retired[n:])
		clear(j.retired[m:])
		j.retired = j.retired[:m]
	}
}

func (r *commitRecord) appliedEverywhereBy(now sim.Time, maxLag time.Duration, nodes []*sim.Node, down func(*sim.Node) bool) bool {
	for i, a := range r.arrived {
		if !a.Done() && down(nodes[i]) {
			continue
		}
		if !a.Done() || a.Value()+maxLag > now {
			return false
		}
	}
	return true
}

// waitReadable blocks p, at a storage node of replica r, until r can serve
// reads at ts: every adjudicator's closed timestamp has passed ts (so no new
// commit at or below ts can appear) and every commit already at or below ts
// has been applied here. A replica applies a record once its own journal
// replica has delivered it and it has learned that the record is durable on
// a quorum: one message from the journal replica that completed the quorum.
// Before that a reader could see a commit a failure might still lose.
func (e *Engine) waitReadable(p *sim.Proc, r *replica, ts storage.Timestamp) {
	if r.view.CanRead(ts) {
		return
	}
	ready := p.Now()
	for i, a := range e.adjs {
		ready = max(ready, a.node.Clock.WhenEarliestReaches(int64(ts)+1)+r.closedLag[i])
	}
	p.SleepUntil(ready, sim.CatReadWait)
	// A copy: prune rewrites inflight in place while this process waits,
	// and its records are not reused until the read is over.
	j := e.journal
	defer j.endRead(j.beginRead())
	var pending []*commitRecord
	if n := len(j.spare); n > 0 {
		pending, j.spare = j.spare[n-1], j.spare[:n-1]
	}
	// Records up to r.settled cannot hold this read back (settled): a
	// read looked at ~100 in-flight records of which ~5 were still to
	// become visible here (YCSB-A, us-3, 64 clients).
	first, _ := slices.BinarySearchFunc(j.inflight, r.settled+1, func(rec *commitRecord, seq uint64) int { return cmp.Compare(rec.seq, seq) })
	pending = append(pending[:0], j.inflight[first:]...)
	defer func() {
		clear(pending)
		j.spare = append(j.spare, pending[:0])
	}()
	// One sleep until the last of the records is visible, not one per
	// record: waking in between changed nothing but cost a coroutine
	// switch each (four per occ attempt). A record's visibility is a fixed
	// time once its futures are complete, so the process ends the loop at
	// the same instant as sleeping record by record would.
	visible := p.Now()
	prefix := true // every record before this one is settled
	for _, rec := range pending {
		if prefix && r.settles(rec, p.Now()) {
			r.settled = max(r.settled, rec.seq)
			continue
		}
		prefix = false
		if rec.lower > ts {
			continue
		}
		if !sim.Await(p, rec.decided, sim.CatReadWait) || rec.ts > ts {
			continue
		}
		visible = max(visible, e.visibleAt(p, r, rec))
	}
	p.SleepUntil(visible, sim.CatReadWait)
	r.view.Advance(ts)
}

// visibleAt is when replica r can expose committed record rec: its journal
// replica's copy has been applied, and news of quorum durability has
// reached it (the median delay from the replica that completed the quorum).
func (e *Engine) visibleAt(p *sim.Proc, r *replica, rec *commitRecord) sim.Time {
	sim.Await(p, rec.arrived[r.journal], sim.CatReadWait)
	sim.Await(p, rec.durable, sim.CatReadWait)
	return r.visible(rec)
}

// visible is visibleAt once rec's arrival here and its durability are known.
func (r *replica) visible(rec *commitRecord) sim.Time {
	return max(rec.arrived[r.journal].Value()+r.applyLag, rec.durable.Value()+r.durableLag[rec.durableAt])
}

// settles reports whether rec can no longer hold back a read at r, at any
// timestamp, from now on: it aborted, or it committed and is visible here
// by now. waitReadable would pass it without waiting (its futures are
// complete) and without moving its wake-up (visible by now), so skipping
// it changes nothing; time only moves on, so it stays settled.
func (r *replica) settles(rec *commitRecord, now sim.Time) bool {
	if !rec.decided.Done() {
		return false
	}
	if !rec.decided.Value() {
		return true
	}
	return rec.arrived[r.journal].Done() && rec.durable.Done() && r.visible(rec) <= now
}
