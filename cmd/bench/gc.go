package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// gcHeadroom is how much the heap may grow between two collections however
// small the live heap is. Go's default (GOGC=100) lets it grow by the live
// heap itself, so a simulation with a small live heap (YCSB-A on 100,000
// rows: ~60 MB) collects every ~60 MB of garbage and spends 15-20% of its
// CPU marking: the same live heap, rescanned again and again. With a floor
// on the growth, small runs collect a few times less often, at the price of
// up to gcHeadroom more peak memory; runs whose live heap is larger than
// gcHeadroom (TPC-C with a few warehouses or more) keep GOGC=100 exactly.
const gcHeadroom = 256 << 20

// tuneGC keeps the collector's growth allowance at least gcHeadroom: after
// every collection it sets the GC percentage to max(100, gcHeadroom/live).
// A GOGC or GOMEMLIMIT set in the environment wins: then it does nothing.
// The simulation never observes the collector, so results cannot change.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(gcPercent(0))
	// A finalizer runs after each collection that found its object
	// unreachable; re-arming it on a fresh object repeats that every cycle.
	var arm func()
	arm = func() {
		s := new([32]byte)
		runtime.SetFinalizer(s, func(*[32]byte) {
			debug.SetGCPercent(gcPercent(liveHeap()))
			arm()
		})
	}
	arm()
}

// gcPercent is the GC percentage that lets a heap of live bytes grow by at
// least gcHeadroom before the next collection. Before the first collection
// (live 0) the runtime's target is 4 MiB × GOGC/100, so the same percentage
// rule with 4 MiB applies.
func gcPercent(live uint64) int {
	if live == 0 {
		live = 4 << 20
	}
	return int(max(100, min(10_000, gcHeadroom*100/live)))
}

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

func liveHeap() uint64 {
	metrics.Read(liveSample)
	if liveSample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return liveSample[0].Value.Uint64()
}
