package isolation

import (
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/txbench/txbench/history"
)

// A tiny multi-version database, to produce realistic concurrent histories
// of list-append transactions at a chosen isolation level: clients
// interleave one operation at a time; snapshot isolation reads a snapshot
// taken at begin and aborts the later of two writers of a key (first
// committer wins); serializable also aborts a transaction whose reads were
// overwritten since its snapshot (backward validation: the commit point is
// a serial order that respects real time); read committed reads the latest
// committed list at each read and never aborts. Appends read the list and
// write it back (read-modify-write, as the append workload does).
type mvcc struct {
	level    Level
	versions map[int64][][]int64 // per key, committed lists with their commit number
	stamps   map[int64][]int64
	commits  int64
}

func (db *mvcc) read(k, snapshot int64) []int64 {
	vs, st := db.versions[k], db.stamps[k]
	i, _ := slices.BinarySearch(st, snapshot+1)
	if i == 0 {
		return nil
	}
	return vs[i-1]
}

func (db *mvcc) lastCommit(k int64) int64 {
	st := db.stamps[k]
	if len(st) == 0 {
		return 0
	}
	return st[len(st)-1]
}

type simTxn struct {
	ops      []history.Op
	next     int
	snapshot int64
	writes   map[int64][]int64
	reads    []int64
	invoke   time.Duration
}

// simulate records n transactions of ops operations over keys live keys
// (each retired after 32 appends) from clients concurrent clients.
func simulate(level Level, n, clients, keys, ops int, seed uint64) *history.History {
	rng := rand.New(rand.NewPCG(seed, 2))
	db := &mvcc{level: level, versions: map[int64][][]int64{}, stamps: map[int64][]int64{}}
	h := &history.History{Model: history.Append, Txns: make([]history.Txn, 0, n)}
	gen := make([]int64, keys)
	appends := make([]int, keys)
	value := int64(0)
	now := time.Duration(0)
	draw := func() *simTxn {
		t := &simTxn{writes: map[int64][]int64{}, snapshot: db.commits, invoke: now}
		for range ops {
			s := rng.IntN(keys)
			if rng.IntN(4) == 0 {
				s = 0 // a hot key
			}
			k := gen[s]*int64(keys) + int64(s)
			if rng.IntN(2) == 0 {
				t.ops = append(t.ops, history.Op{Kind: history.OpRead, Key: k})
				continue
			}
			value++
			t.ops = append(t.ops, history.Op{Kind: history.OpAppend, Key: k, Value: value})
			if appends[s]++; appends[s] == 32 {
				appends[s], gen[s] = 0, gen[s]+1
			}
		}
		return t
	}
	active := make([]*simTxn, clients)
	for len(h.Txns) < n {
		now += time.Microsecond
		c := rng.IntN(clients)
		t := active[c]
		if t == nil {
			active[c] = draw()
			continue
		}
		if t.next < len(t.ops) {
			o := &t.ops[t.next]
			t.next++
			cur, own := t.writes[o.Key]
			if !own {
				snap := t.snapshot
				if level == ReadCommitted {
					snap = db.commits
				}
				cur = db.read(o.Key, snap)
				t.reads = append(t.reads, o.Key)
			}
			if o.Kind == history.OpRead {
				o.List = append([]int64{}, cur...)
				continue
			}
			// The append's own read is recorded, as the workload does.
			read := history.Op{Kind: history.OpRead, Key: o.Key, List: append([]int64{}, cur...)}
			t.writes[o.Key] = append(cur[:len(cur):len(cur)], o.Value)
			t.ops = slices.Insert(t.ops, t.next-1, read)
			t.next++
			continue
		}
		// Commit.
		ok := true
		for k := range t.writes {
			if level != ReadCommitted && db.lastCommit(k) > t.snapshot {
				ok = false
			}
		}
		if level == Serializable {
			for _, k := range t.reads {
				if db.lastCommit(k) > t.snapshot {
					ok = false
				}
			}
		}
		rec := history.Txn{Client: c, Attempt: 1, Invoke: t.invoke, Complete: now, Outcome: history.Committed, Ops: t.ops}
		if ok {
			db.commits++
			for _, k := range sortedKeys(t.writes) {
				db.versions[k] = append(db.versions[k], t.writes[k])
				db.stamps[k] = append(db.stamps[k], db.commits)
			}
		} else {
			rec.Outcome, rec.Reason = history.Aborted, "conflict"
		}
		h.Txns = append(h.Txns, rec)
		active[c] = nil
	}
	return h
}

func sortedKeys(m map[int64][]int64) []int64 {
	var ks []int64
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// The checker finds in each level's histories exactly what the level
// allows: read committed shows lost updates and read skew, snapshot
// isolation only write skew, serializable (committing in real-time order)
// nothing, real time included.
func TestSimulatedLevels(t *testing.T) {
	for _, c := range []struct {
		level   Level
		must    []Class
		mustNot []Class
	}{
		{ReadCommitted, []Class{LostUpdate, GSingle}, []Class{G0, G1a, G1b, G1c, GarbageRead, IncompatibleOrder}},
		{SnapshotIsolation, []Class{G2Item}, []Class{G0, G1a, G1b, G1c, GSingle, LostUpdate, GarbageRead, IncompatibleOrder}},
		{Serializable, nil, Classes},
	} {
		h := simulate(c.level, 20000, 8, 6, 4, 1)
		r, err := Check(h, Options{RealTime: c.level == Serializable})
		if err != nil {
			t.Fatal(err)
		}
		got := map[Class]bool{}
		for _, f := range r.Findings {
			got[f.Class] = true
		}
		for _, cl := range c.must {
			if !got[cl] {
				t.Errorf("%s: %s not found (%s)", c.level, cl, classes(r))
			}
		}
		for _, cl := range c.mustNot {
			if got[cl] {
				t.Errorf("%s: %s found (%s)", c.level, cl, classes(r))
			}
		}
	}
}

// BenchmarkCheckMillion checks a history of 1,000,000 snapshot-isolation
// attempts (16 clients, 4 operations each, 8 live keys, one hot; about a
// third commit), real-time order included. MiB-peak-heap is the largest
// live heap seen during the check (the history included); MiB-sys what the
// process took from the system. Run on one core:
//
//	go test -run '^$' -bench CheckMillion -benchtime 1x -cpu 1 ./isolation
func BenchmarkCheckMillion(b *testing.B) {
	h := simulate(SnapshotIsolation, 1_000_000, 16, 8, 4, 1)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	// CPU time as well as wall time: on a shared machine the wall time
	// also counts waiting for a core.
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// The peak of the heap's objects (the history included), sampled.
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	cpu0 := cpu()
	for b.Loop() {
		r, err := Check(h, Options{RealTime: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Beyond(StrongSnapshotIsolation)) != 0 {
			b.Fatalf("snapshot isolation history shows %s", classes(r))
		}
	}
	b.ReportMetric((cpu()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	close(stop)
	<-sampled
	b.ReportMetric(float64(peak)/(1<<20), "MiB-peak-heap")
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MiB-alloc/op")
	b.ReportMetric(float64(after.Sys)/(1<<20), "MiB-sys")
}
