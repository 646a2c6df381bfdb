package sim

import (
	"fmt"
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

func (e *event) before(o *event) bool {
	return e.at < o.at || (e.at == o.at && e.seq < o.seq)
}

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
			best := c
			for j := c + 1; j < c+4 && j < n; j++ {
				if h[j].before(&h[best]) {
					best = j
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

// farHorizon splits the kernel's events in two queues: those due within it
// when scheduled (messages, service times, short sleeps: most events) and
// those due later (timeouts, periodic work: a lock wait's deadlock timer is
// scheduled for a second ahead and is mostly dead by then). The far queue
// holds most of the pending events, so keeping them out of the near queue
// makes every pop cheaper. Run takes the earlier of the two heads, so the
// order is unchanged; only speed depends on the horizon.
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
	queue   eventQueue // due within farHorizon of when scheduled
	far     eventQueue // due later
	nowq    []event    // due now, in order, from nowHead on
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
	if t-k.now > farHorizon {
		k.far.push(event{at: t, seq: k.seq, r: r})
		return
	}
	k.queue.push(event{at: t, seq: k.seq, r: r})
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
		q := &k.queue
		if len(k.far) > 0 && (len(k.queue) == 0 || k.far[0].before(&k.queue[0])) {
			q = &k.far
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
	return k.running && !k.stopped && (k.until < 0 || t <= k.until) && k.nowHead == len(k.nowq) &&
		(len(k.queue) == 0 || k.queue[0].at > t) && (len(k.far) == 0 || k.far[0].at > t)
}

// Stop makes Run return after the current event.
func (k *Kernel) Stop() { k.stopped = true }

// Pending is the number of scheduled events.
func (k *Kernel) Pending() int { return len(k.queue) + len(k.far) + len(k.nowq) - k.nowHead }

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
	k.queue, k.far, k.nowq, k.nowHead = nil, nil, nil, 0
}

func (k *Kernel) String() string {
	return fmt.Sprintf("sim.Kernel{now=%v pending=%d procs=%d}", k.now, k.Pending(), len(k.live))
}
