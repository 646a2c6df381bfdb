package sim

import (
	"fmt"
	"math/bits"
	"time"
)

// Time is virtual time since the start of the simulation.
type Time = time.Duration

// event is one scheduled step: r's run. A process (*Proc: resuming it), a
// callback (funcEvent) and a replication request (*call: its next step)
// are runners themselves, so scheduling any of them allocates nothing (a
// method value would be a closure per record); the interface is as large
// as the process and callback fields it replaced.
type event struct {
	at  Time
	seq uint64
	r   runner
}

// runner is what an event runs.
type runner interface{ run() }

// funcEvent is a callback as a runner (a func is pointer-shaped: the
// conversion to the interface allocates nothing).
type funcEvent func()

func (f funcEvent) run() { f() }

// earlier is 1 when e comes before o — (at, seq) < (o.at, o.seq) — else 0:
// the borrow of one 128-bit subtraction, so that neither a comparison nor
// the heap's choice among children (pop) is a branch. Event times are
// random, so each of those branches was a coin toss the processor
// mispredicted half the time: a pop from a heap of 64 events took ~80 ns,
// ~35 without them (BenchmarkKernelCallbacks64). at is never negative.
func earlier(e, o *event) uint64 {
	_, borrow := bits.Sub64(e.seq, o.seq, 0)
	_, borrow = bits.Sub64(uint64(e.at), uint64(o.at), borrow)
	return borrow
}

func (e *event) before(o *event) bool { return earlier(e, o) != 0 }

// eventQueue is a 4-ary min-heap ordered by (at, seq). It is typed, unlike
// container/heap, so pushing and popping neither box the event in an
// interface (an allocation each) nor call Less and Swap through one; four
// children per node halve the tree's depth, and a sift moves the hole
// instead of swapping. (at, seq) is unique, so the order in which events
// run is exactly that of any other correct priority queue.
type eventQueue []event

func (q *eventQueue) push(e event) {
	h := append(*q, e)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 4
		if !e.before(&h[parent]) {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = e
	*q = h
}

func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h[n] = event{}
	h = h[:n]
	if n > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c >= n {
				break
			}
			var best int
			if c+3 < n {
				// All four children: a tournament decided by arithmetic on
				// the comparisons' borrows, not by branches.
				ch := h[c : c+4 : c+4]
				a := int(earlier(&ch[1], &ch[0]))
				b := 2 + int(earlier(&ch[3], &ch[2]))
				best = c + a + (b-a)*int(earlier(&ch[b], &ch[a]))
			} else {
				best = c
				for j := c + 1; j < n; j++ {
					if h[j].before(&h[best]) {
						best = j
					}
				}
			}
			if !h[best].before(&last) {
				break
			}
			h[i] = h[best]
			i = best
		}
		h[i] = last
	}
	*q = h
	return top
}

// horizons split the kernel's queued events by how far ahead of the clock
// they were when scheduled: queue i holds those due within horizons[i] and
// not an earlier horizon, the last queue those due later than farHorizon
// (timeouts, periodic work: a lock wait's deadlock timer is scheduled for a
// second ahead and is mostly dead by then). A pop's cost grows with its
// heap's size, and most events are due soon (service times, messages within
// a region), so most pops are from a small heap: replaying the queue
// operations of YCSB-A runs (us-3, 64 clients) through one heap for 50 ms
// and one beyond, as it was, and through these four, a push or pop took
// 34-38 → 27 ns for occ, 35-38 → 31 for 2pc, 30-31 → 28 for sharded. Run
// takes the earliest of the heads, so the order is unchanged; only speed
// depends on the horizons.
var horizons = [...]time.Duration{500 * time.Microsecond, 5 * time.Millisecond, farHorizon}

const farHorizon = 50 * time.Millisecond

// Events scheduled for the current instant (a future's waiters woken, a
// process spawned, a message to the same node) need no heap at all: they
// run after every queued event of this instant, which was scheduled before
// the clock reached it and so has a smaller sequence number, and among
// themselves in the order they were scheduled. The kernel keeps them in a
// FIFO (nowq from nowHead on), so the order is unchanged.

// Kernel is the event loop. It is not safe for concurrent use; nothing in a
// simulation is concurrent.
type Kernel struct {
	now     Time
	seq     uint64
	queues  [len(horizons) + 1]eventQueue // by horizon (see horizons)
	nowq    []event                       // due now, in order, from nowHead on
	nowHead int
	seed    uint64
	live    []*Proc // processes not yet finished, each knowing its slot
	idle    []*coro // coroutines whose process finished, ready for reuse
	spare   []*Proc // finished FanOut children, for the next ones (see spawn)
	nprocs  uint64
	stopped bool
	events  uint64
	// running and until: Run is on, up to until (see runsNext).
	running bool
	until   Time
}

// NewKernel returns a kernel at time zero whose random streams derive from seed.
func NewKernel(seed uint64) *Kernel {
	return &Kernel{seed: seed}
}

// Now is the current virtual time.
func (k *Kernel) Now() Time { return k.now }

// Seed is the run seed the kernel's streams derive from.
func (k *Kernel) Seed() uint64 { return k.seed }

// Events is the number of events run so far.
func (k *Kernel) Events() uint64 { return k.events }

// At schedules fn at virtual time t (not before now).
func (k *Kernel) At(t Time, fn func()) { k.schedule(t, funcEvent(fn)) }

// After schedules fn after d.
func (k *Kernel) After(d time.Duration, fn func()) { k.At(k.now+d, fn) }

func (k *Kernel) schedule(t Time, r runner) {
	if t < k.now {
		t = k.now
	}
	k.seq++
	if t == k.now {
		k.nowq = append(k.nowq, event{at: t, seq: k.seq, r: r})
		return
	}
	d, i := t-k.now, 0
	for i < len(horizons) && d > horizons[i] {
		i++
	}
	k.queues[i].push(event{at: t, seq: k.seq, r: r})
}

// wake schedules p's resumption at t.
func (k *Kernel) wake(t Time, p *Proc) { k.schedule(t, p) }

// Run processes events until the queue is empty, Stop is called, or the next
// event is later than until (until < 0 means no limit). Time ends at until
// when the limit was reached.
func (k *Kernel) Run(until Time) {
	k.stopped = false
	k.running, k.until = true, until
	defer func() { k.running = false }()
events:
	for !k.stopped {
		q := &k.queues[0]
		for i := 1; i < len(k.queues); i++ {
			if o := &k.queues[i]; len(*o) > 0 && (len(*q) == 0 || (*o)[0].before(&(*q)[0])) {
				q = o
			}
		}
		var e event
		switch {
		case len(*q) > 0 && ((*q)[0].at == k.now || k.nowHead == len(k.nowq)):
			if until >= 0 && (*q)[0].at > until {
				k.now = until
				return
			}
			e = q.pop()
		case k.nowHead < len(k.nowq):
			if until >= 0 && k.now > until {
				k.now = until
				return
			}
			e = k.nowq[k.nowHead]
			k.nowq[k.nowHead] = event{}
			if k.nowHead++; k.nowHead == len(k.nowq) {
				k.nowq, k.nowHead = k.nowq[:0], 0
			}
		default:
			break events
		}
		k.now = e.at
		k.events++
		e.r.run()
	}
	if until >= 0 && !k.stopped && k.now < until {
		k.now = until
	}
}

// runsNext reports whether an event scheduled now for t would be the next
// one Run takes: Run is on and will go on to t, nothing is left of this
// instant, and every queued event is later than t (one at t itself would
// precede it, having the smaller sequence number).
func (k *Kernel) runsNext(t Time) bool {
	if !k.running || k.stopped || (k.until >= 0 && t > k.until) || k.nowHead != len(k.nowq) {
		return false
	}
	for _, q := range &k.queues {
		if len(q) > 0 && q[0].at <= t {
			return false
		}
	}
	return true
}

// Stop makes Run return after the current event.
func (k *Kernel) Stop() { k.stopped = true }

// Pending is the number of scheduled events.
func (k *Kernel) Pending() int {
	n := len(k.nowq) - k.nowHead
	for _, q := range &k.queues {
		n += len(q)
	}
	return n
}

// Live is the number of processes that have not finished.
func (k *Kernel) Live() int { return len(k.live) }

// Shutdown ends every live process (their stacks unwind; deferred calls run)
// and drops pending events. Call it when a run is over so that no coroutine
// outlives the simulation.
func (k *Kernel) Shutdown() {
	// Ending a process may end or start others through deferred code; loop
	// until none is left. Newest first, so the order is deterministic.
	for len(k.live) > 0 {
		k.live[len(k.live)-1].kill()
	}
	for _, c := range k.idle {
		c.stop()
	}
	k.idle = nil
	k.queues = [len(k.queues)]eventQueue{}
	k.nowq, k.nowHead = nil, 0
}

func (k *Kernel) String() string {
	return fmt.Sprintf("sim.Kernel{now=%v pending=%d procs=%d}", k.now, k.Pending(), len(k.live))
}
