package twopc

import (
	"context"
	"slices"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/engines/txnkit"
	"github.com/txbench/txbench/sim"
)

// ReasonWriteConflict is repeatable read's first-committer-wins abort:
// Spanner returns ABORTED when a row written by the transaction was
// committed by another after its snapshot.
const ReasonWriteConflict engines.Reason = "write-conflict(ABORTED)"

// participant is one split in a commit and the writes it applies (lock-only
// entries included); a participant without writes is there for its read
// locks.
type participant struct {
	g      *group
	writes []*txnkit.Entry
	rec    *record // its Paxos record, once prepared (2PC)
	// writeBuf backs writes for a participant's first write.
	writeBuf [1]*txnkit.Entry
}

// Commit runs the commit protocol the transaction needs:
//
//   - read-only, or nothing written under repeatable read: nothing to do;
//   - locks but no writes: every split releases its locks after checking
//     that they were not lost to a wound;
//   - one split: the leader commits alone (no two-phase commit);
//   - several splits: two-phase commit, coordinated by a participant
//     leader.
func (t *txn) Commit(ctx context.Context) error {
	defer t.refs.Hold().Release()
	if t.done {
		return errFinished
	}
	p := sim.ProcFrom(ctx)
	if t.notified {
		return t.end(p, t.woundedAbort(nil, nil))
	}
	if t.opts.ReadOnly || (t.snapshot && t.ws.Len() == 0) {
		t.e.stats.ReadOnlyCommits++
		t.finish(true)
		t.answer(p)
		return nil
	}
	parts := t.participants()
	t.info.Participants = len(parts)
	// The store's horizon must stay below the commit timestamp until the
	// writes are installed; every timestamp assigned from now on is above
	// true time now.
	guard := t.e.Snaps.Acquire(storage.Timestamp(sim.TrueTime(p.Now())))
	defer t.e.Snaps.Release(guard)
	var err error
	switch {
	case t.ws.Len() == 0:
		err = t.commitLocksOnly(p, parts)
	case len(parts) == 1:
		err = t.commitOne(p, parts[0])
	default:
		t.e.stats.TwoPhase++
		err = t.commitMany(p, parts)
	}
	if err != nil {
		return t.end(p, err)
	}
	t.e.stats.Commits++
	t.finish(true)
	t.answer(p)
	return nil
}

// participants are the splits holding the transaction's locks or writes,
// in split order.
func (t *txn) participants() []*participant {
	// Searched in out, not a map: a transaction has few participants
	// (most have one), and the map cost more than they do.
	// The first participants are the transaction's own (a commit runs
	// once): most transactions allocate none.
	out := t.partPtrs[:0]
	get := func(g *group) *participant {
		for _, pt := range out {
			if pt.g == g {
				return pt
			}
		}
		var pt *participant
		if len(out) < len(t.partBuf) {
			pt = &t.partBuf[len(out)]
		} else {
			pt = new(participant)
		}
		pt.g = g
		pt.writes = pt.writeBuf[:0]
		out = append(out, pt)
		return pt
	}
	for _, g := range t.touched {
		get(g)
	}
	for w := range t.ws.All() {
		pt := get(t.e.groupOf(w.Table, w.Key))
		pt.writes = append(pt.writes, w)
	}
	slices.SortFunc(out, func(a, b *participant) int { return a.g.id - b.g.id })
	return out
}

// lockWrites takes the exclusive locks of pt's writes at its leader and,
// under repeatable read, checks that no write was committed by another
// transaction after the snapshot (first committer wins).
func (t *txn) lockWrites(p *sim.Proc, pt *participant) error {
	for _, w := range pt.writes {
		if err := t.acquire(p, pt.g, w.RowKey, lock.Exclusive, w.Table, w.Key); err != nil {
			return err
		}
	}
	if t.wounded {
		return t.woundedAbort(nil, nil)
	}
	if t.e.cfg.Isolation == RepeatableRead {
		for _, w := range pt.writes {
			if _, ts, _, exists := t.e.Store.Latest(w.Table.ID, w.Enc); exists && ts > t.readTS {
				t.e.stats.Conflicts++
				return &engines.AbortError{Reason: ReasonWriteConflict, Retryable: true, Table: w.Table.Name, Key: w.Key.String()}
			}
		}
	}
	return nil
}

// floor is the smallest commit timestamp the transaction may take: above
// its snapshot, so its writes come after what it read.
func (t *txn) floor(clock *sim.Clock) storage.Timestamp {
	ts := storage.Timestamp(clock.Now().Latest)
	if t.snapshot {
		ts = max(ts, t.readTS+1)
	}
	return ts
}

// install puts the writes into the shared store at ts. Replicas expose
// them only once they have applied the record; read-write readers cannot
// see them before the locks are released.
func (t *txn) install(writes []*txnkit.Entry, ts storage.Timestamp) {
	for _, w := range writes {
		if !w.LockOnly {
			t.e.Store.Install(w.Table.ID, w.Enc, ts, w.Pack(), w.Deleted)
		}
	}
}

// commitOne: the leader takes the write locks, picks s ≥ TT.now().latest,
// replicates the commit record to a majority, waits until TT.now().earliest
// > s (overlapped with the replication), applies, releases the locks and
// replies.
func (t *txn) commitOne(p *sim.Proc, pt *participant) error {
	g := pt.g
	ld := g.leader.node
	t.e.Cluster.SendExec(p, t.out(p, g), ld, t.e.cfg.CommitCPU)
	if err := t.lockWrites(p, pt); err != nil {
		t.reply(p, ld)
		return err
	}
	t.prepared = append(t.prepared, g)
	t.decided = true
	s := g.assign(t.floor(ld.Clock))
	rec := g.register(t.e.Kernel, s, true)
	rec.ts = s
	t.install(pt.writes, s)
	rec.decided.Set(true)
	t.e.replicate(p, g, rec)
	ld.Clock.WaitUntilEarliestAfter(p, int64(s), sim.CatCommitWait)
	t.e.release(g, t)
	t.e.Cluster.Send(p, ld, t.home())
	return nil
}

// commitLocksOnly: a read-write transaction that wrote nothing still has
// to learn that its read locks held to the end; each split checks and
// releases them.
func (t *txn) commitLocksOnly(p *sim.Proc, parts []*participant) error {
	errs := sim.FanOut(p, len(parts), "2pc-release-check", func(c *sim.Proc, i int) error {
		g := parts[i].g
		t.e.Cluster.Send(c, t.out(c, g), g.leader.node)
		if t.wounded {
			t.reply(c, g.leader.node)
			return t.woundedAbort(nil, nil)
		}
		t.e.release(g, t)
		t.e.Cluster.Send(c, g.leader.node, t.home())
		return nil
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

type vote struct {
	err error
	ts  storage.Timestamp // prepare timestamp (the coordinator's: its lower bound)
}

// commitMany is Spanner's two-phase commit. The client sends the commit to
// every participant leader with its writes. Each non-coordinator takes its
// write locks, picks a prepare timestamp, logs a prepare record through
// Paxos and sends its vote to the coordinator; a split that only holds read
// locks checks them and votes without logging. The coordinator takes its
// locks and skips the prepare; with every vote in, it picks s ≥ every
// prepare timestamp and its TT.now().latest when it got the commit, logs
// the commit record, commit-waits, applies, releases and replies, and tells
// the others, which log the outcome, apply and release.
func (t *txn) commitMany(p *sim.Proc, parts []*participant) error {
	coord := t.coordinator(parts)
	t.coord = coord.g
	cn := coord.g.leader.node
	votes := sim.FanOut(p, len(parts), "2pc-prepare", func(c *sim.Proc, i int) vote {
		pt := parts[i]
		g := pt.g
		ld := g.leader.node
		t.e.Cluster.SendExec(c, t.out(c, g), ld, t.e.cfg.CommitCPU)
		if err := t.lockWrites(c, pt); err != nil {
			if !t.abandoned {
				t.e.Cluster.Send(c, ld, cn)
			}
			return vote{err: err}
		}
		t.prepared = append(t.prepared, g)
		if pt == coord {
			lower := g.assign(t.floor(ld.Clock))
			pt.rec = g.register(t.e.Kernel, lower, false)
			t.records = append(t.records, pt.rec)
			return vote{ts: lower}
		}
		var ts storage.Timestamp
		if len(pt.writes) > 0 {
			ts = g.assign(t.floor(ld.Clock))
			pt.rec = g.register(t.e.Kernel, ts, false)
			t.records = append(t.records, pt.rec)
			t.e.replicate(c, g, nil)
		}
		t.e.Cluster.Send(c, ld, cn)
		return vote{ts: ts}
	})
	var s storage.Timestamp
	for _, v := range votes {
		if v.err != nil {
			// The coordinator decides abort and answers the client; the
			// client's rollback releases the participants.
			t.reply(p, cn)
			return v.err
		}
		s = max(s, v.ts)
	}
	if t.leaderLost {
		// The coordinator's leader changed while it waited for the votes:
		// the new one aborted the transaction (failover.go).
		t.reply(p, cn)
		return t.woundedAbort(nil, nil)
	}
	t.decided = true
	cn.CPU.Exec(p, t.e.cfg.CommitCPU)
	coord.g.lastTS = max(coord.g.lastTS, s)
	for _, pt := range parts {
		t.install(pt.writes, s)
	}
	for _, rec := range t.records {
		rec.ts = s
		rec.decided.Set(true)
	}
	t.e.replicate(p, coord.g, coord.rec)
	cn.Clock.WaitUntilEarliestAfter(p, int64(s), sim.CatCommitWait)
	t.e.release(coord.g, t)
	for _, pt := range parts {
		if pt == coord {
			continue
		}
		t.refs.Hold()
		t.e.Kernel.Launch("2pc-commit-notice", func(c *sim.Proc) {
			t.e.Cluster.Send(c, cn, pt.g.leader.node)
			if pt.rec != nil {
				pt.g.lastTS = max(pt.g.lastTS, s)
				t.e.replicate(c, pt.g, pt.rec)
			}
			t.e.release(pt.g, t)
			t.refs.Release()
		})
	}
	t.e.Cluster.Send(p, cn, t.home())
	return nil
}

// coordinator is the participant with writes whose leader is nearest the
// client (the lowest split on a tie): it logs the commit record.
func (t *txn) coordinator(parts []*participant) *participant {
	var best *participant
	var bestRTT sim.Time
	topo := t.e.Cluster.Topology()
	for _, pt := range parts {
		if len(pt.writes) == 0 {
			continue
		}
		rtt := topo.RTT(t.home().AZ, pt.g.leader.node.AZ).Median
		if best == nil || rtt < bestRTT {
			best, bestRTT = pt, rtt
		}
	}
	return best
}
