package runner

import (
	"os"
	"runtime/debug"
	"sync"
)

// A simulated load allocates almost only what stays: the rows, which the
// simulated engine keeps. Collections during it mark an ever larger heap
// and free little (a 10-warehouse TPC-C load made 12 collections that
// marked about 3.4 GB in all and freed ~5% of the heap each time; its CPU
// time 2.7–2.8 → 1.8–2.4 user-seconds with the collector off, for a peak
// heap ~20% larger, still below the run's own). So the collector is
// paused while any simulated load runs in this process, and its setting
// restored when the last one ends; the first collection after the load
// then marks the loaded heap once. A load into a real database is not
// paused: it keeps nothing here, and its garbage would pile up. GOGC or
// GOMEMLIMIT in the environment wins, as with bench's tuner: then nothing
// is paused. A collection forced during a pause (another run's
// reserveHugePages) lets bench's tuner (cmd/bench/gc.go) set the
// percentage again: the pause ends early, which costs only its saving.
var loadGC struct {
	sync.Mutex
	loads int // simulated loads running (parallel plans run several)
	prev  int // the GC percentage before the first of them
}

// pauseGCForLoad pauses the collector for a load; resume ends the pause.
func pauseGCForLoad() (resume func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	loadGC.Lock()
	defer loadGC.Unlock()
	if loadGC.loads == 0 {
		loadGC.prev = debug.SetGCPercent(-1)
	}
	loadGC.loads++
	return func() {
		loadGC.Lock()
		defer loadGC.Unlock()
		if loadGC.loads--; loadGC.loads == 0 {
			debug.SetGCPercent(loadGC.prev)
		}
	}
}
