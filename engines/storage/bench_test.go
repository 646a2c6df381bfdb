package storage

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

const benchRows = 1_000_000

// benchKey is a 14-byte key in ascending order of i, like a loader's
// primary keys.
func benchKey(i int) string { return fmt.Sprintf("user%010d", i) }

var benchKeys = sync.OnceValue(func() []string {
	keys := make([]string, benchRows)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	return keys
})

type smallRow struct{ A, B int64 }

func row10(i int) []int64 {
	r := make([]int64, 10)
	for j := range r {
		r[j] = int64(i + j)
	}
	return r
}

// loaded is one store of benchRows rows shared by the read benchmarks.
var loaded = sync.OnceValue(func() *Store[[]int64] {
	s := New[[]int64](1)
	for i, k := range benchKeys() {
		s.Load(0, k, 1, row10(i))
	}
	return s
})

var sinkRow []int64

func BenchmarkGet(b *testing.B) {
	s, keys := loaded(), benchKeys()
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for range b.N {
		v, ok := s.Get(0, keys[rng.IntN(benchRows)], 10)
		if ok {
			found++
			sinkRow = v
		}
	}
	if found != b.N {
		b.Fatalf("found %d of %d", found, b.N)
	}
}

func BenchmarkScan(b *testing.B) {
	for _, reverse := range []bool{false, true} {
		b.Run(fmt.Sprintf("reverse=%v", reverse), func(b *testing.B) {
			s, keys := loaded(), benchKeys()
			rng := rand.New(rand.NewPCG(3, 4))
			b.ReportAllocs()
			b.ResetTimer()
			rows := 0
			for range b.N {
				start := keys[100+rng.IntN(benchRows-200)]
				from, to := start, ""
				if reverse {
					from, to = "", start
				}
				s.Scan(0, from, to, 10, 100, reverse, func(_ string, v []int64) bool {
					rows++
					sinkRow = v
					return true
				})
			}
			if rows != 100*b.N {
				b.Fatalf("scanned %d rows in %d scans", rows, b.N)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
		})
	}
}

// BenchmarkInstall updates random keys of a 100k-key table at increasing
// timestamps with the horizon trailing 10k commits behind, as an engine with
// a steady stream of short transactions would.
func BenchmarkInstall(b *testing.B) {
	const keys, lag = 100_000, 10_000
	s := New[[]int64](1)
	all := benchKeys()[:keys]
	for i, k := range all {
		s.Load(0, k, 1, row10(i))
	}
	v := row10(0)
	rng := rand.New(rand.NewPCG(5, 6))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ts := Timestamp(i + 2)
		s.SetHorizon(ts - lag)
		s.Install(0, all[rng.IntN(keys)], ts, v, false)
		if i%1000 == 0 {
			s.Collect(100)
		}
	}
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(st.Versions)/float64(st.Keys), "versions/key")
}

var loadMetrics sync.Map // name -> [2]float64{store bytes/row, total bytes/row}

// measureLoad loads benchRows single-version rows into a fresh store and
// returns the heap growth per row twice: with keys and values allocated
// beforehand (what the Store itself costs), and with them allocated during
// the load (what a loader's whole row costs).
func measureLoad[V any](mk func(i int) V) (storeBytes, totalBytes float64) {
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	keys := benchKeys()
	shared := mk(0)

	before := heap()
	s := New[V](1)
	for _, k := range keys {
		s.Load(0, k, 1, shared)
	}
	after := heap()
	runtime.KeepAlive(s)
	storeBytes = (float64(after) - float64(before)) / benchRows
	s = nil

	before = heap()
	s = New[V](1)
	buf := []byte("user")
	for i := range benchRows {
		buf = strconv.AppendInt(buf[:4], int64(1e10+i), 10) // same order and length class
		s.Load(0, string(buf), 1, mk(i))
	}
	after = heap()
	runtime.KeepAlive(s)
	totalBytes = (float64(after) - float64(before)) / benchRows
	return storeBytes, totalBytes
}

func benchmarkLoad[V any](b *testing.B, name string, mk func(i int) V) {
	m, ok := loadMetrics.Load(name)
	if !ok {
		sb, tb := measureLoad(mk)
		m, _ = loadMetrics.LoadOrStore(name, [2]float64{sb, tb})
	}
	keys := benchKeys()
	v := mk(0)
	b.ReportAllocs()
	b.ResetTimer()
	var s *Store[V]
	for i := range b.N {
		if i%benchRows == 0 {
			s = New[V](1) // a fresh store per million rows keeps keys ascending
		}
		s.Load(0, keys[i%benchRows], 1, v)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(m.([2]float64)[0], "heap-bytes/row")
	b.ReportMetric(m.([2]float64)[1], "total-heap-bytes/row")
}

// BenchmarkLoad measures the bulk-load path. heap-bytes/row is the Store's
// own memory per single-version row (tree and entry; keys and values are the
// caller's); total-heap-bytes/row adds a freshly allocated 14-byte key and
// the value, as when an engine loads generated rows.
func BenchmarkLoad(b *testing.B) {
	b.Run("V=struct16", func(b *testing.B) {
		benchmarkLoad(b, "struct16", func(i int) smallRow { return smallRow{int64(i), int64(i)} })
	})
	b.Run("V=int64x10", func(b *testing.B) {
		benchmarkLoad(b, "int64x10", row10)
	})
}

// BenchmarkCollect is one GC round of a simulated engine on a big table
// where few keys are written: benchRows loaded keys, 64 of them rewritten
// per round, the horizon moved up to the previous round, then Collect with
// the engines' budget (simengine's gcSweep). collect-ns/round is the time in
// Collect alone (the rest of a round is the installs); extra-versions/key is
// how many old versions wait for the sweeper at the end, per key written in
// a round.
func BenchmarkCollect(b *testing.B) {
	const written, budget = 64, 4096
	s := New[[]int64](1)
	keys := benchKeys()
	for i, k := range keys {
		s.Load(0, k, 1, row10(i))
	}
	v := row10(0)
	rng := rand.New(rand.NewPCG(7, 8))
	var collecting time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ts := Timestamp(i + 2)
		s.SetHorizon(ts - 1)
		for range written {
			s.Install(0, keys[rng.IntN(benchRows)], ts, v, false)
		}
		start := time.Now()
		s.Collect(budget)
		collecting += time.Since(start)
	}
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(collecting.Nanoseconds())/float64(b.N), "collect-ns/round")
	b.ReportMetric(float64(st.Versions-st.Keys)/written, "extra-versions/key")
}

// BenchmarkInsertNew inserts new keys the way TPC-C's new orders add order
// lines: each insert goes to a random one of 100 (warehouse, district)
// sequences, with the next order's key in it, into a table already
// holding a million keys of that shape (the engines' key encoding: a tag
// byte before each part). Consecutive inserts land in different places in
// the tree, so the path hint rarely helps and each is a descent.
func BenchmarkInsertNew(b *testing.B) {
	const districts, orders, lines = 100, 1000, 10
	key := func(d, o, ol int) string {
		return string([]byte{0x0d, byte(d / 10), 0x0d, byte(d % 10), 0x0e, byte(o >> 8), byte(o), 0x0d, byte(ol)})
	}
	s := New[[]int64](1)
	v := row10(0)
	for d := range districts {
		for o := range orders {
			for ol := range lines {
				s.Load(0, key(d, o, ol), 1, v)
			}
		}
	}
	next := make([]int, districts)
	for d := range next {
		next[d] = orders * lines
	}
	keys := make([]string, b.N)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range keys {
		d := rng.IntN(districts)
		keys[i] = key(d, next[d]/lines, next[d]%lines)
		next[d]++
	}
	// A scan builds the tree (as TPC-C's order-status and stock-level
	// scans do early in a run), and the hash index with it, outside the
	// timing.
	s.Scan(0, "", "", 1, 1, false, func(string, []int64) bool { return false })
	b.ReportAllocs()
	b.ResetTimer()
	for i, k := range keys {
		s.Install(0, k, Timestamp(i+2), v, false)
	}
}

// BenchmarkGetCopiedKey is BenchmarkGet with search keys that are copies
// of the stored ones, as an engine's statements bring them (built from
// the workload's values): comparing a key then reads both keys' bytes.
func BenchmarkGetCopiedKey(b *testing.B) {
	s, keys := loaded(), benchKeys()
	copies := make([]string, len(keys))
	for i, k := range keys {
		copies[i] = string([]byte(k))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for range b.N {
		if v, ok := s.Get(0, copies[rng.IntN(benchRows)], 10); ok {
			found++
			sinkRow = v
		}
	}
	if found != b.N {
		b.Fatalf("found %d of %d", found, b.N)
	}
}
