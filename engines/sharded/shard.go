package sharded

import (
	"slices"
	"sort"

	"github.com/txbench/txbench/engines/lock"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// shard is one PostgreSQL-like data node: a row-lock table, the commit
// timestamps it has handed out, and the commits in progress whose rows
// readers must wait for. Its rows live in the engine's shared store (every
// key belongs to one shard, except reference tables', which every shard
// holds; the shared store keeps one copy of those, see doc.go).
type shard struct {
	id     int
	node   *sim.Node
	copies []*sim.Node // storage nodes holding the shard's log
	locks  *lock.Table[*waitSlot]

	// lastTS is the highest commit or prepare timestamp the shard has
	// assigned or learnt; timestamps it assigns later are above it, so a
	// write is always newer than the version it replaces.
	lastTS storage.Timestamp
	// maxRead is the highest snapshot a read here has used: later
	// commits take a timestamp above it, so a reader never misses a
	// commit at or below its snapshot that had not begun when it read.
	maxRead storage.Timestamp

	// inflight are the commits (and prepared transactions) whose outcome
	// this shard has not made visible yet, in registration order; byKey
	// indexes them by row for point reads.
	inflight []*pending
	byKey    map[string][]*pending
	// spareKeyLists are emptied byKey lists, reused: a row has one commit
	// in progress at a time (its writer holds the lock until the outcome
	// is visible), so every commit emptied a list and made a new one.
	spareKeyLists [][]*pending

	// waiting maps each transaction waiting for a lock here to its
	// request, for the deadlock checks.
	waiting map[lock.Owner]*waitSlot

	// moved completes when the shard fails over from its current node
	// (and is replaced by a new future then): requests held at the old
	// node give up on it (Engine.send).
	moved *sim.Future[struct{}]
}

// pending is one transaction's commit in progress on a shard: a one-phase
// commit being flushed, a lead shard's commit, or a prepared transaction
// waiting for COMMIT PREPARED. A reader whose snapshot is at or above
// lower and that meets one of its rows waits until the shard resolves it:
// the commit timestamp will be at least lower, so the rows may be visible
// to it, and it cannot know before the outcome.
type pending struct {
	owner lock.Owner
	lower storage.Timestamp
	keys  []string // lock keys of the rows written, sorted
	done  sim.Future[struct{}]
}

// assign returns a new timestamp at or above floor and above every
// timestamp the shard assigned or learnt before.
func (sh *shard) assign(floor storage.Timestamp) storage.Timestamp {
	ts := max(floor, sh.lastTS+1, sh.maxRead+1)
	sh.lastTS = ts
	return ts
}

// learn records a timestamp decided elsewhere (a two-phase commit's) for
// rows of this shard.
func (sh *shard) learn(ts storage.Timestamp) { sh.lastTS = max(sh.lastTS, ts) }

// noteRead records that a read used snapshot ts here.
func (sh *shard) noteRead(ts storage.Timestamp) { sh.maxRead = max(sh.maxRead, ts) }

// register adds a commit in progress over keys (sorted lock keys), in
// the record pd (its part's: see part.pend).
func (sh *shard) register(pd *pending, k *sim.Kernel, o lock.Owner, lower storage.Timestamp, keys []string) *pending {
	*pd = pending{owner: o, lower: lower, keys: keys, done: sim.MakeFuture[struct{}](k)}
	sh.inflight = append(sh.inflight, pd)
	for _, key := range keys {
		l := sh.byKey[key]
		if l == nil {
			if n := len(sh.spareKeyLists); n > 0 {
				l, sh.spareKeyLists = sh.spareKeyLists[n-1], sh.spareKeyLists[:n-1]
			}
		}
		sh.byKey[key] = append(l, pd)
	}
	return pd
}

// resolve makes a commit's outcome visible here and wakes its readers.
func (sh *shard) resolve(pd *pending) {
	sh.inflight = slices.DeleteFunc(sh.inflight, func(x *pending) bool { return x == pd })
	for _, key := range pd.keys {
		l := slices.DeleteFunc(sh.byKey[key], func(x *pending) bool { return x == pd })
		if len(l) == 0 {
			delete(sh.byKey, key)
			sh.spareKeyLists = append(sh.spareKeyLists, l)
		} else {
			sh.byKey[key] = l
		}
	}
	pd.done.Set(struct{}{})
}

// waitKey blocks p until no commit in progress that may be visible at ts
// holds the row key. Waiting lets the lists change, so after a wait the
// search restarts.
func (sh *shard) waitKey(p *sim.Proc, key string, ts storage.Timestamp) {
	for {
		var wait *pending
		for _, pd := range sh.byKey[key] {
			if pd.lower <= ts {
				wait = pd
				break
			}
		}
		if wait == nil {
			return
		}
		sim.Await(p, &wait.done, sim.CatReadWait)
	}
}

// waitRange is waitKey for every row in [from, to) (to "" = unbounded).
func (sh *shard) waitRange(p *sim.Proc, from, to string, ts storage.Timestamp) {
	for {
		var wait *pending
		for _, pd := range sh.inflight {
			if pd.lower <= ts && pd.overlaps(from, to) {
				wait = pd
				break
			}
		}
		if wait == nil {
			return
		}
		sim.Await(p, &wait.done, sim.CatReadWait)
	}
}

func (pd *pending) overlaps(from, to string) bool {
	i := sort.SearchStrings(pd.keys, from)
	return i < len(pd.keys) && (to == "" || pd.keys[i] < to)
}

// release drops everything owner holds or waits for here and wakes the
// requests granted as a result.
func (sh *shard) release(o lock.Owner) {
	for _, s := range sh.locks.ReleaseAll(o) {
		s.f.Set(outcome{})
	}
}

// edges returns the shard's waits-for graph: for each transaction waiting
// here, the transactions in its way (incompatible holders and the
// requests queued ahead of it).
func (sh *shard) edges() map[lock.Owner][]lock.Owner {
	out := make(map[lock.Owner][]lock.Owner, len(sh.waiting))
	for o, s := range sh.waiting {
		out[o] = sh.locks.Blockers(o, s.key, s.mode)
	}
	return out
}

// localEdges is edges for one owner, without building the whole graph.
func (sh *shard) localEdges(o lock.Owner) []lock.Owner {
	if s := sh.waiting[o]; s != nil {
		return sh.locks.Blockers(o, s.key, s.mode)
	}
	return nil
}

// flush persists one log record: the shard sends it to every storage node
// holding its log and waits for the write quorum (Aurora: 4 of 6 across 3
// AZs); the stragglers keep going.
func (e *Engine) flush(p *sim.Proc, sh *shard) {
	e.Cluster.ReplicateAwait(p, "sharded-flush", sh.node, sh.copies, e.cfg.FlushCPU, nil, nil, e.cfg.WriteQuorum, sim.CatReplication)
}
