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

// Events scheduled for the current instant (a future's waiters woken, a
// process spawned, a message to the same node) need no priority queue: they
// run after every queued event of this instant, which was scheduled before
// the clock reached it and so has a smaller sequence number, and among
// themselves in the order they were scheduled. The kernel keeps them in a
// FIFO (nowq from nowHead on), so the order is unchanged.

// Kernel is the event loop. It is not safe for concurrent use; nothing in a
// simulation is concurrent.
type Kernel struct {
	now     Time
	seq     uint64
	queue   calQueue // events due after now
	nowq    []event  // due now, in order, from nowHead on
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
		var e event
		// The queue's head, asked once an event.
		h, queued := Time(0), q.n > 0
		if queued {
			h = q.head()
		}
		switch {
		case queued && (k.nowHead == len(k.nowq) || h == k.now):
			if until >= 0 && h > until {
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
	return k.queue.n == 0 || k.queue.head() > t
}

// skipTo moves the clock to t, which runsNext said is the very next
// event's instant, in place of scheduling that event and running it: its
// sequence number and its count are taken all the same, so nothing that
// follows can tell the difference.
func (k *Kernel) skipTo(t Time) {
	k.seq++
	k.now = t
	k.events++
}

// resumeAt resumes p at t from within an event (a runner that stands for
// p's own steps): at once when t is the very next event's instant (skipTo),
// else by a wake-up at t.
func (k *Kernel) resumeAt(t Time, p *Proc) {
	if k.runsNext(t) {
		k.skipTo(t)
		p.run()
		return
	}
	k.wake(t, p)
}

// Stop makes Run return after the current event.
func (k *Kernel) Stop() { k.stopped = true }

// Pending is the number of scheduled events.
func (k *Kernel) Pending() int {
	n := len(k.nowq) - k.nowHead
	n += k.queue.n
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
	k.queue = calQueue{}
	k.nowq, k.nowHead = nil, 0
}

func (k *Kernel) String() string {
	return fmt.Sprintf("sim.Kernel{now=%v pending=%d procs=%d}", k.now, k.Pending(), len(k.live))
}
