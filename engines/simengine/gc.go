package simengine

import (
	"time"

	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

// gcSweep is how many keys one GC round trims of those holding an older
// version or a tombstone (storage.Store.Collect), for versions no snapshot
// can see any more.
const gcSweep = 4096

// Horizon is the oldest timestamp any transaction may still read or
// install at: the smaller of floor (what a future snapshot is at least —
// true time for engines that take snapshots from a clock's latest bound)
// and the oldest snapshot or commit registered in snaps.
func Horizon(floor storage.Timestamp, snaps *storage.Snapshots) storage.Timestamp {
	if m, ok := snaps.Min(); ok && m < floor {
		floor = m
	}
	return max(floor, 0)
}

// RunGC is a simulated engine's garbage collector, run as a process: every
// interval it advances the store's horizon (horizon computes it), trims a
// share of the keys that hold old versions, and calls trim with the new
// horizon so the engine can drop its own state (adjudicator write sets,
// Paxos records) that no snapshot can need. It keeps memory bounded however long a run lasts, and
// never returns.
func RunGC[V any](p *sim.Proc, every time.Duration, store *storage.Store[V], horizon func() storage.Timestamp, trim func(h storage.Timestamp)) {
	for {
		p.Sleep(every, sim.CatOther)
		h := horizon()
		store.SetHorizon(h)
		store.Collect(gcSweep)
		if trim != nil {
			trim(h)
		}
	}
}
