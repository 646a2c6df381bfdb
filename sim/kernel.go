package sim

import (
	"container/heap"
	"fmt"
	"time"
)

// Time is virtual time since the start of the simulation.
type Time = time.Duration

type event struct {
	at  Time
	seq uint64
	fn  func()
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = event{}
	*q = old[:len(old)-1]
	return e
}

// Kernel is the event loop. It is not safe for concurrent use; nothing in a
// simulation is concurrent.
type Kernel struct {
	now     Time
	seq     uint64
	queue   eventQueue
	seed    uint64
	procs   map[*Proc]struct{}
	nprocs  uint64
	stopped bool
	events  uint64
}

// NewKernel returns a kernel at time zero whose random streams derive from seed.
func NewKernel(seed uint64) *Kernel {
	return &Kernel{seed: seed, procs: map[*Proc]struct{}{}}
}

// Now is the current virtual time.
func (k *Kernel) Now() Time { return k.now }

// Seed is the run seed the kernel's streams derive from.
func (k *Kernel) Seed() uint64 { return k.seed }

// Events is the number of events run so far.
func (k *Kernel) Events() uint64 { return k.events }

// At schedules fn at virtual time t (not before now).
func (k *Kernel) At(t Time, fn func()) {
	if t < k.now {
		t = k.now
	}
	k.seq++
	heap.Push(&k.queue, event{at: t, seq: k.seq, fn: fn})
}

// After schedules fn after d.
func (k *Kernel) After(d time.Duration, fn func()) { k.At(k.now+d, fn) }

// Run processes events until the queue is empty, Stop is called, or the next
// event is later than until (until < 0 means no limit). Time ends at until
// when the limit was reached.
func (k *Kernel) Run(until Time) {
	k.stopped = false
	for len(k.queue) > 0 && !k.stopped {
		if until >= 0 && k.queue[0].at > until {
			k.now = until
			return
		}
		e := heap.Pop(&k.queue).(event)
		k.now = e.at
		k.events++
		e.fn()
	}
	if until >= 0 && !k.stopped && k.now < until {
		k.now = until
	}
}

// Stop makes Run return after the current event.
func (k *Kernel) Stop() { k.stopped = true }

// Pending is the number of scheduled events.
func (k *Kernel) Pending() int { return len(k.queue) }

// Shutdown ends every live process (their stacks unwind; deferred calls run)
// and drops pending events. Call it when a run is over so that no coroutine
// outlives the simulation.
func (k *Kernel) Shutdown() {
	for len(k.procs) > 0 {
		// Ending a process can spawn nothing new (the kernel is stopped), but
		// it may finish others through deferred code; loop until empty.
		for p := range k.procs {
			p.kill()
		}
	}
	k.queue = nil
}

func (k *Kernel) String() string {
	return fmt.Sprintf("sim.Kernel{now=%v pending=%d procs=%d}", k.now, len(k.queue), len(k.procs))
}
