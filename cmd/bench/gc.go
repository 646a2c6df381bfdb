package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// gcHeadroom is how much the heap may grow between two collections however
// small the live heap is. Go's default (GOGC=100) lets it grow by the live
// heap itself, which for a tiny live heap means a collection every few
// megabytes. The floor is kept small on purpose: a YCSB-A run (live heap
// ~40-60 MB) spent 25-35% more CPU with a 256 MiB floor than with 32 MiB,
// because every allocation then lands on memory not touched since the
// last collection (page faults and cache misses on fresh spans: mspan
// initHeapBits and memclr were 14% of a profile) while marking the small
// live heap a few more times costs little. 16 MiB, 32 MiB and GOGC=100
// measured alike; 64 MiB was already slower (docs/results.md).
//
// Large heaps get a share of the live heap instead: the default would let
// a TPC-C run with 10 warehouses (a live heap of about 1 GB) reach twice
// that, while its garbage is small next to its data. So the growth
// allowance is gcHeadroom up to a live heap of gcHeadroom×gcLargeShare, and
// a 1/gcLargeShare share of the live heap above that: peak memory about
// 1.33× the live heap instead of 2×, for more frequent collections (each
// one marks the whole live heap, so marking costs about gcLargeShare bytes
// per byte allocated). A third, not a quarter: that TPC-C run (10 minutes)
// took 41 CPU-s instead of 47 and peaked at 1305 MiB instead of 1218
// (issue 15's bound: 1536); a half would have used ~1.5 GiB.
const (
	gcHeadroom   = 32 << 20
	gcLargeShare = 3
)

// tuneGC sets the collector's growth allowance to max(gcHeadroom,
// live/gcLargeShare) after every collection. A GOGC or GOMEMLIMIT set in the
// environment wins: then it does nothing. The simulation never observes the
// collector, so results cannot change.
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

// gcPercent is the GC percentage that lets a heap of live bytes grow by
// max(gcHeadroom, live/gcLargeShare) before the next collection. Before the
// first collection (live 0) the runtime's target is 4 MiB × GOGC/100, so
// the same percentage rule with 4 MiB applies.
func gcPercent(live uint64) int {
	if live == 0 {
		live = 4 << 20
	}
	allowance := max(gcHeadroom, live/gcLargeShare)
	// The runtime's goal is never below 4 MiB × GOGC/100 (its heap
	// minimum), so a large percentage for a small live heap would let the
	// heap grow far beyond live+allowance: cap it there. Uncapped, the
	// collection that follows the huge-page reservation (live ~1 MB) set
	// GOGC=3200, and a 30 s YCSB-A run then never collected: its heap grew
	// to ~100 MB of fresh memory (peak RSS 103 MB), each page a first
	// touch, which this machine makes slow after another process freed
	// memory. Capped: four collections, 89 MB, and occ's CPU-seconds
	// 0.54–0.72 → 0.56–0.59 (5 alternating pairs; 2pc and sharded alike
	// or slightly better).
	return int(min(10_000, allowance*100/live, (live+allowance)*100/(4<<20)))
}

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

func liveHeap() uint64 {
	metrics.Read(liveSample)
	if liveSample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return liveSample[0].Value.Uint64()
}
