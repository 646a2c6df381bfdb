package sim

import (
	"cmp"
	"slices"
	"testing"
	"time"
)

func TestEventsRunInTimeThenSequenceOrder(t *testing.T) {
	k := NewKernel(1)
	var got []int
	k.At(2*time.Millisecond, func() { got = append(got, 3) })
	k.At(time.Millisecond, func() { got = append(got, 1) })
	k.At(time.Millisecond, func() { got = append(got, 2) }) // same instant: scheduling order
	k.Run(-1)
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("order %v, want [1 2 3]", got)
	}
	if k.Now() != 2*time.Millisecond {
		t.Fatalf("now %v", k.Now())
	}
}

// Events go to two queues (due now, and later: radixQueue); whatever the
// mix, they run in (time, scheduling order), as from one priority queue:
// events due now, at the same later instants, and spread from 100 µs to
// 50 ms ahead (several of the radix queue's buckets).
func TestEventsRunInTimeThenSequenceOrderAcrossQueues(t *testing.T) {
	k := NewKernel(1)
	rng := k.Stream("test")
	type ran struct {
		at  Time
		seq int
	}
	var got []ran
	seq := 0
	spans := [...]time.Duration{500 * time.Microsecond, 5 * time.Millisecond, 50 * time.Millisecond}
	var add func(depth int)
	add = func(depth int) {
		for range 3 {
			var d time.Duration
			switch i := rng.IntN(len(spans) + 2); {
			case i == 0: // now
			case i <= len(spans):
				// Around span i-1, in 100 µs steps so that some are
				// at the same instant.
				d = spans[i-1] + time.Duration(rng.IntN(11)-5)*100*time.Microsecond
				d = max(d, 0)
			default:
				d = spans[len(spans)-1] + time.Duration(rng.IntN(3))*time.Millisecond
			}
			seq++
			at, s := k.Now()+d, seq
			k.After(d, func() {
				got = append(got, ran{at, s})
				if k.Now() != at {
					t.Fatalf("event for %v ran at %v", at, k.Now())
				}
				if depth < 6 {
					add(depth + 1)
				}
			})
		}
	}
	add(0)
	k.Run(-1)
	if len(got) < 1000 {
		t.Fatalf("only %d events ran", len(got))
	}
	sorted := slices.IsSortedFunc(got, func(a, b ran) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.seq - b.seq
	})
	if !sorted {
		t.Fatal("events did not run in (time, scheduling order)")
	}
}

// The kernel's queues pop events in (at, seq) order, checked against
// sorting: events pushed out of sequence order, at the clock, within its
// microsecond and calendar bucket, across the calendar's ring, and far
// beyond it, with pops in between (a push is never before the last pop).
func TestRadixQueuePopsInTimeThenSequenceOrder(t *testing.T) {
	var q radixQueue
	checkQueueOrder(t, q.push, q.pop, q.head, func() int { return q.n })
}

func TestCalendarQueuePopsInTimeThenSequenceOrder(t *testing.T) {
	var q calQueue
	checkQueueOrder(t, q.push, q.pop, q.head, func() int { return q.n })
}

func checkQueueOrder(t *testing.T, push func(event), pop func() event, head func() Time, n func() int) {
	t.Helper()
	rng := NewKernel(7).Stream("heap")
	var want []event
	seq, now := uint64(0), Time(0)
	add := func() {
		seq += 4
		e := event{at: now + Time(rng.IntN(50)), seq: seq}
		if rng.IntN(5) == 0 {
			e.seq -= 5 // below the last one pushed, and still unique
		}
		switch rng.IntN(10) {
		case 0:
			e.at = now + Time(rng.Int64N(1<<40))
		case 1:
			e.at = now
		case 2, 3:
			e.at = now + Time(rng.Int64N(int64(400*time.Millisecond)))
		case 4:
			e.at = now + Time(rng.Int64N(int64(50*time.Microsecond)))
		}
		push(e)
		want = append(want, e)
	}
	popped := 0
	for round := range 400 {
		for range rng.IntN(40) {
			add()
		}
		slices.SortFunc(want, func(a, b event) int {
			if a.at != b.at {
				return cmp.Compare(a.at, b.at)
			}
			return cmp.Compare(a.seq, b.seq)
		})
		if n() != len(want) || len(want) > 0 && head() != want[0].at {
			t.Fatalf("round %d: %d events, want %d, or the wrong head", round, n(), len(want))
		}
		for range rng.IntN(len(want) + 1) {
			got := pop()
			if got.at != want[0].at || got.seq != want[0].seq {
				t.Fatalf("round %d: popped (%d, %d), want (%d, %d)", round, got.at, got.seq, want[0].at, want[0].seq)
			}
			now = got.at
			want = want[1:]
			popped++
		}
	}
	if popped < 2000 {
		t.Fatalf("only %d pops", popped)
	}
}

func TestRunStopsAtLimit(t *testing.T) {
	k := NewKernel(1)
	ran := false
	k.At(5*time.Second, func() { ran = true })
	k.Run(time.Second)
	if ran || k.Now() != time.Second {
		t.Fatalf("ran=%v now=%v; want the later event pending at 1s", ran, k.Now())
	}
	k.Run(-1)
	if !ran {
		t.Fatal("event never ran")
	}
}

func TestProcessesSleepAndChargeTheirLedger(t *testing.T) {
	k := NewKernel(1)
	var trace []string
	for _, name := range []string{"a", "b"} {
		k.Spawn(name, func(p *Proc) {
			d := time.Millisecond
			if name == "b" {
				d = 3 * time.Millisecond
			}
			p.Sleep(d, CatNetwork)
			trace = append(trace, name+"@"+p.Now().String())
			p.Sleep(d, CatCPU)
			trace = append(trace, name+"@"+p.Now().String())
			if l := p.Ledger(); l[CatNetwork] != d || l[CatCPU] != d || l.Total() != 2*d {
				t.Errorf("%s ledger %v", name, l)
			}
		})
	}
	k.Run(-1)
	want := []string{"a@1ms", "a@2ms", "b@3ms", "b@6ms"}
	if !slices.Equal(trace, want) {
		t.Fatalf("trace %v, want %v", trace, want)
	}
}

func TestFutureWakesWaitersAndQuorumCompletesAtTheNth(t *testing.T) {
	k := NewKernel(1)
	var fs []*Future[int]
	for i, d := range []time.Duration{5, 1, 3} {
		fs = append(fs, Go(k, "w", func(p *Proc) int {
			p.Sleep(d*time.Millisecond, CatNetwork)
			return i
		}))
	}
	var quorumAt, allAt Time
	k.Spawn("waiter", func(p *Proc) {
		Await(p, Quorum(k, fs, 2), CatReplication)
		quorumAt = p.Now()
		Await(p, All(k, fs), CatReplication)
		allAt = p.Now()
		if p.Ledger()[CatReplication] != 5*time.Millisecond {
			t.Errorf("replication wait %v", p.Ledger()[CatReplication])
		}
	})
	k.Run(-1)
	if quorumAt != 3*time.Millisecond || allAt != 5*time.Millisecond {
		t.Fatalf("quorum at %v (want 3ms), all at %v (want 5ms)", quorumAt, allAt)
	}
	if fs[1].Value() != 1 {
		t.Fatalf("future value %d", fs[1].Value())
	}
}

func TestAwaitTimeout(t *testing.T) {
	k := NewKernel(1)
	never := NewFuture[int](k)
	soon := Go(k, "soon", func(p *Proc) int { p.Sleep(time.Millisecond, CatOther); return 7 })
	k.Spawn("t", func(p *Proc) {
		if _, ok := AwaitTimeout(p, never, 2*time.Millisecond, CatLockWait); ok || p.Now() != 2*time.Millisecond {
			t.Errorf("timeout: ok=%v at %v", ok, p.Now())
		}
		if v, ok := AwaitTimeout(p, soon, time.Second, CatLockWait); !ok || v != 7 {
			t.Errorf("completed: %v %v", v, ok)
		}
	})
	k.Run(-1)
}

func TestShutdownEndsBlockedProcesses(t *testing.T) {
	k := NewKernel(1)
	cleaned := 0
	for range 10 {
		k.Spawn("blocked", func(p *Proc) {
			defer func() { cleaned++ }()
			Await(p, NewFuture[int](k), CatOther)
			t.Error("a never-completed future returned")
		})
	}
	k.Run(-1)
	k.Shutdown()
	if cleaned != 10 || k.Live() != 0 {
		t.Fatalf("cleaned %d, live %d", cleaned, k.Live())
	}
}

func TestStreamsAreSeededAndIndependent(t *testing.T) {
	a1, a2 := NewStream(7, "a"), NewStream(7, "a")
	b, other := NewStream(7, "b"), NewStream(8, "a")
	for range 100 {
		x := a1.Uint64()
		if x != a2.Uint64() {
			t.Fatal("same seed and name gave different numbers")
		}
		_ = b.Uint64()
		_ = other.Uint64()
	}
	if NewStream(7, "a").Uint64() == NewStream(7, "b").Uint64() || NewStream(7, "a").Uint64() == NewStream(8, "a").Uint64() {
		t.Fatal("different names or seeds gave the same stream")
	}
}

func TestCPUQueuesWorkBeyondItsCores(t *testing.T) {
	k := NewKernel(1)
	cpu := NewCPU(k, 2)
	var done []Time
	var queued []time.Duration
	for range 4 {
		k.Spawn("job", func(p *Proc) {
			cpu.Exec(p, time.Millisecond)
			done = append(done, p.Now())
			queued = append(queued, p.Ledger()[CatQueue])
		})
	}
	k.Run(-1)
	want := []Time{time.Millisecond, time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond}
	if !slices.Equal(done, want) {
		t.Fatalf("finish times %v, want %v", done, want)
	}
	if queued[2] != time.Millisecond || queued[0] != 0 {
		t.Fatalf("queueing charged %v", queued)
	}
	if u := cpu.Utilization(); u != 1 {
		t.Fatalf("utilisation %v, want 1", u)
	}
}

func TestFanOutChargesTheCriticalPath(t *testing.T) {
	k := NewKernel(1)
	var got []int
	k.Spawn("parent", func(p *Proc) {
		got = FanOut(p, 3, "child", func(c *Proc, i int) int {
			c.Sleep(time.Duration(i+1)*time.Millisecond, CatNetwork)
			c.Sleep(time.Millisecond, CatLockWait)
			return i * 10
		})
		l := p.Ledger()
		if p.Now() != 4*time.Millisecond || l[CatNetwork] != 3*time.Millisecond || l[CatLockWait] != time.Millisecond || l[CatOther] != 0 {
			t.Errorf("at %v ledger %v: want the slowest child's 3ms network + 1ms lock wait", p.Now(), l)
		}
	})
	k.Run(-1)
	if !slices.Equal(got, []int{0, 10, 20}) {
		t.Fatalf("results %v", got)
	}
}

// NewFutures fills the given array when it is large enough, and makes a
// new slice otherwise; every future is its own and incomplete.
func TestNewFutures(t *testing.T) {
	k := NewKernel(1)
	var buf [3]*Future[int]
	for _, n := range []int{0, 2, 3, 5} {
		fs := NewFutures(k, buf[:], n)
		if len(fs) != n {
			t.Fatalf("n %d: %d futures", n, len(fs))
		}
		if inline := n > 0 && &fs[0] == &buf[0]; n > 0 && inline != (n <= len(buf)) {
			t.Errorf("n %d: in the given array %v", n, inline)
		}
		for i, f := range fs {
			if f == nil || f.Done() || (i > 0 && f == fs[i-1]) {
				t.Errorf("n %d: future %d is %v", n, i, f)
			}
		}
	}
}

// A launched process runs like a spawned one, and its record serves the
// next process once its body returned; a spawned process's record never
// does (its Done may be asked for).
func TestLaunchReusesRecords(t *testing.T) {
	k := NewKernel(1)
	seen := map[*Proc]int{}
	var ran []uint64
	k.Spawn("driver", func(p *Proc) {
		for i := range 5 {
			k.Launch("launched", func(c *Proc) {
				seen[c]++
				c.Sleep(time.Microsecond, CatThink)
				ran = append(ran, c.ID())
			})
			p.Sleep(time.Duration(i+2)*time.Microsecond, CatThink)
		}
		for range 3 {
			k.Spawn("spawned", func(c *Proc) { seen[c]++ })
			p.Sleep(time.Microsecond, CatThink)
		}
	})
	k.Run(-1)
	if len(ran) != 5 || !slices.IsSorted(ran) {
		t.Fatalf("launched processes ran as %v, want five in order", ran)
	}
	launched := 0
	for p, n := range seen {
		if p.name == "launched" {
			launched += n
		}
	}
	if launched != 5 || len(seen) != 1+3 {
		t.Errorf("%d records for 5 launched (one after another) and 3 spawned processes, want 1 + 3", len(seen))
	}
}

// TestInlineFutures: futures that fit are the record's own (fs, through
// ptrs), fresh each time; more than fit are new ones; each completes alone.
func TestInlineFutures(t *testing.T) {
	k := NewKernel(1)
	var fs [3]Future[Time]
	var ptrs [3]*Future[Time]
	fs[1].Set(9) // left over from an earlier use: InlineFutures renews it
	got := InlineFutures(k, fs[:], ptrs[:], 2)
	if len(got) != 2 || cap(got) != 2 || got[0] != &fs[0] || got[1] != &fs[1] {
		t.Fatalf("two futures: got %p, want the record's own %p %p", got, &fs[0], &fs[1])
	}
	if got[1].Done() {
		t.Error("a renewed future is complete")
	}
	got[0].Set(5)
	if !got[0].Done() || got[1].Done() || got[0].Value() != 5 {
		t.Error("completing one future completed another")
	}
	more := InlineFutures(k, fs[:], ptrs[:], 4)
	if len(more) != 4 {
		t.Fatalf("%d futures, want 4", len(more))
	}
	for i, f := range more {
		if f == nil || f.Done() || f == &fs[0] || f == &fs[1] || f == &fs[2] {
			t.Errorf("future %d of 4: %p, want a new incomplete one", i, f)
		}
	}
}
