package lock

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// step is one call in a scripted scenario. Handles are the request's name,
// so a scenario can say which waiters a release grants, in order.
type step struct {
	op       string // "get", "range", "release", "cancel"
	owner    Owner
	prio     int64 // Priority.Start; Tie is the owner
	key, end string
	mode     Mode
	want     bool     // get/range: granted now
	grants   []string // release/cancel: handles granted, in order
	blockers []Owner  // get/range: Blockers after the call (nil = not checked)
}

func name(s step) string { return fmt.Sprintf("%s:%d:%s", s.op, s.owner, s.key) }

func TestScenarios(t *testing.T) {
	S, X := Shared, Exclusive
	cases := []struct {
		name  string
		steps []step
	}{
		{"shared locks are compatible", []step{
			{op: "get", owner: 1, key: "a", mode: S, want: true},
			{op: "get", owner: 2, key: "a", mode: S, want: true},
		}},
		{"exclusive conflicts both ways", []step{
			{op: "get", owner: 1, key: "a", mode: X, want: true},
			{op: "get", owner: 2, key: "a", mode: S, want: false, blockers: []Owner{1}},
			{op: "get", owner: 3, key: "b", mode: S, want: true},
			{op: "get", owner: 3, key: "b", mode: S, want: true}, // re-acquire is a no-op
			{op: "release", owner: 1, grants: []string{"get:2:a"}},
		}},
		{"holding exclusive covers shared", []step{
			{op: "get", owner: 1, key: "a", mode: X, want: true},
			{op: "get", owner: 1, key: "a", mode: S, want: true},
		}},
		{"sole holder upgrades at once, even with waiters", []step{
			{op: "get", owner: 1, key: "a", mode: S, want: true},
			{op: "get", owner: 2, key: "a", mode: X, want: false, blockers: []Owner{1}},
			{op: "get", owner: 1, key: "a", mode: X, want: true},
		}},
		{"an upgrade waits for the other readers and goes first", []step{
			{op: "get", owner: 1, key: "a", mode: S, want: true},
			{op: "get", owner: 2, key: "a", mode: S, want: true},
			{op: "get", owner: 0, prio: -5, key: "a", mode: X, want: false, blockers: []Owner{1, 2}},
			{op: "get", owner: 2, prio: 9, key: "a", mode: X, want: false, blockers: []Owner{1}},
			{op: "release", owner: 1, grants: []string{"get:2:a"}},
			{op: "release", owner: 2, grants: []string{"get:0:a"}},
		}},
		{"a younger holder's upgrade ahead of an older reader blocks it", []step{
			{op: "get", owner: 5, prio: 9, key: "a", mode: S, want: true},
			{op: "get", owner: 6, prio: 9, key: "a", mode: S, want: true},
			{op: "get", owner: 5, prio: 9, key: "a", mode: X, want: false, blockers: []Owner{6}},
			{op: "get", owner: 1, prio: 0, key: "a", mode: S, want: false, blockers: []Owner{5}},
			{op: "release", owner: 5, grants: []string{"get:1:a"}},
		}},
		{"waiters are served oldest first, equal priorities in arrival order", []step{
			{op: "get", owner: 1, key: "a", mode: X, want: true},
			{op: "get", owner: 2, prio: 30, key: "a", mode: X, want: false},
			{op: "get", owner: 3, prio: 10, key: "a", mode: X, want: false},
			{op: "get", owner: 4, prio: 20, key: "a", mode: S, want: false},
			{op: "release", owner: 1, grants: []string{"get:3:a"}},
			{op: "release", owner: 3, grants: []string{"get:4:a"}},
			{op: "release", owner: 4, grants: []string{"get:2:a"}},
		}},
		{"readers behind a waiting writer wait, then enter together", []step{
			{op: "get", owner: 1, key: "a", mode: S, want: true},
			{op: "get", owner: 2, prio: 1, key: "a", mode: X, want: false},
			{op: "get", owner: 3, prio: 2, key: "a", mode: S, want: false},
			{op: "get", owner: 4, prio: 3, key: "a", mode: S, want: false},
			{op: "release", owner: 1, grants: []string{"get:2:a"}},
			{op: "release", owner: 2, grants: []string{"get:3:a", "get:4:a"}},
		}},
		{"an older reader overtakes a younger waiting writer when compatible", []step{
			{op: "get", owner: 1, key: "a", mode: S, want: true},
			{op: "get", owner: 2, prio: 5, key: "a", mode: X, want: false},
			{op: "get", owner: 3, prio: 1, key: "a", mode: S, want: true},
		}},
		{"release drops the owner's waiting requests too", []step{
			{op: "get", owner: 1, key: "a", mode: X, want: true},
			{op: "get", owner: 2, key: "b", mode: X, want: true},
			{op: "get", owner: 2, key: "a", mode: X, want: false},
			{op: "get", owner: 1, key: "b", mode: S, want: false},
			{op: "release", owner: 2, grants: []string{"get:1:b"}},
			{op: "release", owner: 1},
		}},
		{"cancel withdraws a waiter and lets the next one in", []step{
			{op: "get", owner: 1, key: "a", mode: S, want: true},
			{op: "get", owner: 2, prio: 1, key: "a", mode: X, want: false},
			{op: "get", owner: 3, prio: 2, key: "a", mode: S, want: false},
			{op: "cancel", owner: 2, key: "a", grants: []string{"get:3:a"}},
		}},
		{"a range lock blocks writers inside it only", []step{
			{op: "range", owner: 1, key: "b", end: "d", want: true},
			{op: "get", owner: 2, key: "c", mode: X, want: false, blockers: []Owner{1}},
			{op: "get", owner: 3, key: "d", mode: X, want: true},
			{op: "get", owner: 4, key: "a", mode: X, want: true},
			{op: "get", owner: 5, key: "b", mode: S, want: true},
			{op: "get", owner: 6, key: "c", mode: S, want: false}, // behind the older waiting writer
			{op: "release", owner: 1, grants: []string{"get:2:c"}},
			{op: "release", owner: 2, grants: []string{"get:6:c"}},
		}},
		{"an unbounded range and its own writes", []step{
			{op: "range", owner: 1, key: "b", want: true},
			{op: "get", owner: 1, key: "x", mode: X, want: true},
			{op: "get", owner: 2, key: "zzz", mode: X, want: false, blockers: []Owner{1}},
		}},
		{"a held write blocks a range over it", []step{
			{op: "get", owner: 1, key: "c", mode: X, want: true},
			{op: "range", owner: 2, key: "a", end: "c", want: true},
			{op: "range", owner: 3, key: "a", end: "c\x00", want: false, blockers: []Owner{1}},
			{op: "release", owner: 1, grants: []string{"range:3:a"}},
		}},
		{"an older waiting range holds back younger writers", []step{
			{op: "get", owner: 1, key: "c", mode: X, want: true},
			{op: "range", owner: 2, prio: 1, key: "a", end: "z", want: false},
			{op: "get", owner: 3, prio: 5, key: "d", mode: X, want: false, blockers: []Owner{}},
			{op: "get", owner: 4, prio: 0, key: "e", mode: X, want: true},
			{op: "release", owner: 4},
			{op: "release", owner: 1, grants: []string{"range:2:a"}},
			{op: "release", owner: 2, grants: []string{"get:3:d"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := New[string]()
			for i, s := range tc.steps {
				prio := Priority{Start: s.prio, Tie: uint64(s.owner)}
				switch s.op {
				case "get", "range":
					var got bool
					var blockers []Owner
					if s.op == "get" {
						got = tb.Acquire(s.owner, prio, s.key, s.mode, name(s))
						blockers = tb.Blockers(s.owner, s.key, s.mode)
					} else {
						got = tb.AcquireRange(s.owner, prio, s.key, s.end, name(s))
						blockers = tb.RangeBlockers(s.owner, s.key, s.end)
					}
					if got != s.want {
						t.Fatalf("step %d %s: granted %v, want %v", i, name(s), got, s.want)
					}
					if s.blockers != nil && !slices.Equal(blockers, s.blockers) && (len(blockers) > 0 || len(s.blockers) > 0) {
						t.Fatalf("step %d %s: blockers %v, want %v", i, name(s), blockers, s.blockers)
					}
				case "release", "cancel":
					var got []string
					if s.op == "release" {
						got = tb.ReleaseAll(s.owner)
					} else {
						got = tb.Cancel(s.owner, s.key)
					}
					if !slices.Equal(got, s.grants) {
						t.Fatalf("step %d %s: granted %q, want %q", i, name(s), got, s.grants)
					}
				}
				checkInvariants(t, tb)
			}
		})
	}
}

// checkInvariants: no two incompatible holders of a key, no exclusive
// holder inside another owner's granted range, and no waiter at the head of
// a queue (or a waiting range) that could be granted — a lost wake-up.
func checkInvariants(t *testing.T, tb *Table[string]) {
	t.Helper()
	if !tb.xIndexed && len(tb.xheld) != 0 {
		t.Fatalf("%d exclusive holders indexed before any range request", len(tb.xheld))
	}
	for key, p := range tb.xheld {
		if tb.points[key] != p || !tb.hasExclusive(p) {
			t.Fatalf("key %q: indexed as held exclusively, but is not", key)
		}
	}
	for key, p := range tb.points {
		for i, a := range p.holders {
			for _, b := range p.holders[i+1:] {
				if a.Owner == b.Owner || !compatible(a.Mode, b.Mode) {
					t.Fatalf("key %q: holders %v and %v together", key, a, b)
				}
			}
			if a.Mode == Exclusive {
				if tb.xIndexed && tb.xheld[key] != p {
					t.Fatalf("key %q: exclusive holder not indexed", key)
				}
				for _, g := range tb.ranges {
					if g.owner != a.Owner && inRange(key, g.key, g.end) {
						t.Fatalf("key %q: exclusive holder %d inside range [%q,%q) of %d", key, a.Owner, g.key, g.end, g.owner)
					}
				}
			}
		}
		if len(p.queue) > 0 {
			if tb.queued[key] != p {
				t.Fatalf("key %q: waiters not indexed", key)
			}
			if tb.grantablePoint(p, p.queue[0]) {
				t.Fatalf("key %q: head waiter %d could be granted (lost wake-up)", key, p.queue[0].owner)
			}
		}
		if len(p.holders) == 0 && len(p.queue) == 0 {
			t.Fatalf("key %q: empty entry kept", key)
		}
	}
	for _, r := range tb.rqueue {
		if tb.grantableRange(r) {
			t.Fatalf("range [%q,%q) of %d could be granted (lost wake-up)", r.key, r.end, r.owner)
		}
	}
}

// A random mix of requests, releases and cancels keeps the invariants;
// every waiter is granted exactly once or withdrawn, never after it was
// withdrawn; and releasing everybody leaves an empty table. Like a
// transaction, an owner waits for one thing at a time.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	type wait struct {
		handle, key string
		isRange     bool
	}
	for seed := range uint64(30) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			tb := New[string]()
			keys := []string{"a", "b", "c", "d", "e", "f"}
			waits := map[Owner]wait{}
			byHandle := map[string]Owner{}
			n, grants := 0, 0
			granted := func(hs []string) {
				for _, h := range hs {
					o, ok := byHandle[h]
					if !ok {
						t.Fatalf("handle %q granted but not waiting", h)
					}
					delete(byHandle, h)
					delete(waits, o)
					grants++
				}
			}
			for range 3000 {
				o := Owner(1 + rng.IntN(8))
				prio := Priority{Start: int64(rng.IntN(4)), Tie: uint64(o)}
				n++
				h := fmt.Sprint(n)
				_, busy := waits[o]
				switch r := rng.IntN(10); {
				case r < 5 && !busy:
					k := keys[rng.IntN(len(keys))]
					if !tb.Acquire(o, prio, k, Mode(1+rng.IntN(2)), h) {
						waits[o], byHandle[h] = wait{handle: h, key: k}, o
					}
				case r < 6 && !busy:
					a, b := keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]
					if a > b {
						a, b = b, a
					}
					if rng.IntN(4) == 0 {
						b = ""
					}
					if !tb.AcquireRange(o, prio, a, b, h) {
						waits[o], byHandle[h] = wait{handle: h, isRange: true}, o
					}
				case r < 7:
					if w, ok := waits[o]; ok && !w.isRange {
						granted(tb.Cancel(o, w.key))
						delete(byHandle, w.handle)
						delete(waits, o)
					}
				case r >= 7:
					granted(tb.ReleaseAll(o))
					if w, ok := waits[o]; ok { // withdrawn, never to be granted
						delete(byHandle, w.handle)
						delete(waits, o)
					}
				}
				checkInvariants(t, tb)
			}
			for o := Owner(1); o <= 8; o++ {
				granted(tb.ReleaseAll(o))
				delete(waits, o)
			}
			if tb.Keys() != 0 || tb.Owners() != 0 || tb.Ranges() != 0 || len(tb.xheld) != 0 || len(tb.queued) != 0 {
				t.Fatalf("after releasing everyone: %d keys, %d owners, %d ranges", tb.Keys(), tb.Owners(), tb.Ranges())
			}
			if grants == 0 {
				t.Fatal("no waiter was ever granted: the test exercised nothing")
			}
		})
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	tb := New[int]()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("key%04d", i)
	}
	b.ReportAllocs()
	for i := range b.N {
		o := Owner(i % 64)
		tb.Acquire(o, Priority{Start: int64(i)}, keys[i%len(keys)], Shared, i)
		tb.Acquire(o, Priority{Start: int64(i)}, keys[(i*7)%len(keys)], Exclusive, i)
		if i%64 == 63 {
			for o := range Owner(64) {
				tb.ReleaseAll(o)
			}
		}
	}
}

// AcquireFunc makes the waiter only for a request that queues, and that
// waiter is the one a release hands back.
func TestAcquireFuncMakesWaiterOnlyToQueue(t *testing.T) {
	tb := New[string]()
	made := 0
	mk := func(w string) func() string {
		return func() string { made++; return w }
	}
	if !tb.AcquireFunc(1, Priority{}, "a", Exclusive, mk("w1")) || made != 0 {
		t.Fatalf("a granted request: made %d waiters, want 0", made)
	}
	if tb.AcquireFunc(2, Priority{Start: 1}, "a", Exclusive, mk("w2")) || made != 1 {
		t.Fatalf("a queued request: made %d waiters, want 1", made)
	}
	if tb.AcquireFunc(2, Priority{Start: 1}, "a", Exclusive, mk("again")) || made != 1 {
		t.Fatalf("a request already queued: made %d waiters, want still 1", made)
	}
	if got := tb.ReleaseAll(1); !slices.Equal(got, []string{"w2"}) {
		t.Errorf("release granted %v, want [w2]", got)
	}
}
