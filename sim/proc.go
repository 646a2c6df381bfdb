package sim

import (
	"context"
	"iter"
	"time"
)

// Category classifies where blocked time goes, for latency breakdowns.
type Category uint8

const (
	CatNetwork     Category = iota // messages on the wire
	CatCPU                         // service time on a core
	CatQueue                       // waiting for a core
	CatLockWait                    // waiting for a lock
	CatCommitWait                  // TrueTime / clock-bound commit wait
	CatReplication                 // waiting for a quorum / log flush
	CatReadWait                    // a replica catching up to a read timestamp
	CatBackoff                     // the client's retry backoff
	CatThink                       // client think time (not part of a transaction)
	CatOther
	NumCategories
)

var categoryNames = [NumCategories]string{
	"network", "cpu", "queue", "lock_wait", "commit_wait", "replication",
	"read_wait", "backoff", "think", "other",
}

func (c Category) String() string {
	if c < NumCategories {
		return categoryNames[c]
	}
	return "unknown"
}

// CategoryNames lists the categories in order.
func CategoryNames() []string { return categoryNames[:] }

// Ledger accumulates blocked time per category.
type Ledger [NumCategories]time.Duration

// Sub returns l - o per category.
func (l Ledger) Sub(o Ledger) Ledger {
	for i := range l {
		l[i] -= o[i]
	}
	return l
}

// Total is the sum over categories.
func (l Ledger) Total() time.Duration {
	var t time.Duration
	for _, d := range l {
		t += d
	}
	return t
}

type killed struct{}

// Proc is a simulated process: sequential code that blocks on virtual time.
// Its methods must be called only from inside its own body.
type Proc struct {
	k    *Kernel
	id   uint64
	name string
	body func(p *Proc)
	co   *coro
	slot int // index in k.live while not finished
	// arg is the index a FanOut child runs for.
	arg    int
	ledger Ledger
	// done is made by the first Done call: few processes are awaited, and
	// an inline future would make every process a size class larger.
	done *Future[struct{}]
	// ctx is the context WithProc returns the first time it is given this
	// process (one allocation fewer per process; see WithProc).
	ctx  procCtx
	dead bool
	// returned is true once the body has returned (not when killed).
	returned bool
	// reusable: a FanOut child or a Launched process, whose record goes
	// to Kernel.spare once its body returned (unless someone asked for
	// its Done future).
	reusable bool
	// parked is true while the proc waits to be run again.
	parked bool
	// at is the proc's request in flight to a CPU (Cluster.SendExec).
	at arrival
	// served is the proc's service whose end sends its reply
	// (Cluster.ExecSend).
	served execSent
}

// coro is the coroutine a process runs on. Creating one (iter.Pull: a
// goroutine and its stack) costs far more than running a short body, and
// engines spawn a process per parallel request, so a coroutine whose body
// returned waits in Kernel.idle and runs the next spawned body. Which
// coroutine runs a process is invisible to the simulation.
type coro struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	p     *Proc // the process running on it; nil once its body returned
}

func (k *Kernel) newCoro() *coro {
	c := &coro{}
	c.next, c.stop = iter.Pull(func(yield func(struct{}) bool) {
		c.yield = yield
		for c.run() {
			c.p = nil // tells run that the body returned
			if !yield(struct{}{}) {
				return
			}
		}
	})
	return c
}

// run runs the current process's body; false when the process was killed.
func (c *coro) run() (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isKill := r.(killed); !isKill {
				panic(r)
			}
			ok = false
		}
	}()
	p := c.p
	p.body(p)
	return true
}

// Spawn starts body as a new process at the current time. The returned
// process's Done future completes when body returns.
func (k *Kernel) Spawn(name string, body func(p *Proc)) *Proc {
	return k.spawn(name, body, 0, false)
}

// Launch starts body as a new process at the current time, like Spawn,
// for a process nobody waits for (an asynchronous message, a release):
// no *Proc is returned, and once body returns its record is reused for a
// later process, as FanOut's children are. body must not keep p, or a
// context of it, past its return, nor ask for p.Done. A Proc record was
// an allocation of every commit notice and rollback.
func (k *Kernel) Launch(name string, body func(p *Proc)) { k.spawn(name, body, 0, true) }

// spawn is Spawn with the index a FanOut child runs for. A reusable
// process is a FanOut child: nothing outside the kernel keeps it (FanOut
// returns no *Proc, and a finished process has no event or future
// pending), so its record is reused for a later child. Its context
// (WithProc) must not outlive it, which holds for any context of a process.
func (k *Kernel) spawn(name string, body func(p *Proc), arg int, reusable bool) *Proc {
	k.nprocs++
	var p *Proc
	if reusable {
		p = pop(&k.spare)
	}
	if p == nil {
		p = new(Proc)
	}
	*p = Proc{k: k, id: k.nprocs, name: name, body: body, slot: len(k.live), arg: arg, reusable: reusable}
	c := pop(&k.idle)
	if c == nil {
		c = k.newCoro()
	}
	c.p, p.co = p, c
	k.live = append(k.live, p)
	p.parked = true
	k.wake(k.now, p)
	return p
}

// pop takes the last record of a list of spares (nil if it is empty).
func pop[T any](spare *[]*T) *T {
	s := *spare
	n := len(s)
	if n == 0 {
		return nil
	}
	r := s[n-1]
	s[n-1] = nil
	*spare = s[:n-1]
	return r
}

// run resumes the process (a *Proc is the runner of its wake-up events).
func (p *Proc) run() {
	if p.dead || !p.parked {
		return
	}
	p.parked = false
	c := p.co
	if _, more := c.next(); !more || c.p == nil {
		p.finish()
		if more {
			p.k.idle = append(p.k.idle, c)
			if p.reusable && p.done == nil {
				p.k.spare = append(p.k.spare, p)
			}
		}
	}
}

// unlink removes p from the kernel's live set.
func (p *Proc) unlink() {
	p.dead = true
	live := p.k.live
	last := live[len(live)-1]
	live[p.slot] = last
	last.slot = p.slot
	live[len(live)-1] = nil
	p.k.live = live[:len(live)-1]
	p.body = nil
}

func (p *Proc) finish() {
	if p.dead {
		return
	}
	p.unlink()
	p.returned = true
	if p.done != nil {
		p.done.Set(struct{}{})
	}
}

func (p *Proc) kill() {
	if p.dead {
		return
	}
	c := p.co
	p.unlink()
	c.stop()
}

// park suspends the process until an event runs it again.
func (p *Proc) park() {
	p.parked = true
	if !p.co.yield(struct{}{}) {
		panic(killed{})
	}
}

// Kernel returns the kernel the process runs on.
func (p *Proc) Kernel() *Kernel { return p.k }

// Name is the process's name (for diagnostics).
func (p *Proc) Name() string { return p.name }

// ID is a unique, deterministic process number.
func (p *Proc) ID() uint64 { return p.id }

// Now is the current virtual time.
func (p *Proc) Now() Time { return p.k.now }

// Done completes when the process's body has returned.
func (p *Proc) Done() *Future[struct{}] {
	if p.done == nil {
		p.done = NewFuture[struct{}](p.k)
		if p.returned {
			p.done.Set(struct{}{})
		}
	}
	return p.done
}

// Ledger returns the time this process has spent blocked, by category.
func (p *Proc) Ledger() Ledger { return p.ledger }

// Charge adds d to a category without blocking; used when a child process
// did the waiting on this one's behalf and the parent attributes it.
func (p *Proc) Charge(c Category, d time.Duration) { p.ledger[c] += d }

// Sleep blocks for d, charging it to c.
//
// When its wake-up would be the very next event Run takes, the process does
// not park: the event is run in place (the clock moves to it, it counts as
// an event and takes its sequence number), which saves the two coroutine
// switches and the queue's push and pop; what runs, when and in which
// order is unchanged.
func (p *Proc) Sleep(d time.Duration, c Category) {
	if d <= 0 {
		return
	}
	k := p.k
	t := k.now + d
	p.ledger[c] += d
	if k.runsNext(t) {
		k.skipTo(t)
		return
	}
	k.wake(t, p)
	p.park()
}

// SleepUntil blocks until virtual time t.
func (p *Proc) SleepUntil(t Time, c Category) { p.Sleep(t-p.k.now, c) }

// Yield lets every other event scheduled for the current instant run first.
func (p *Proc) Yield() {
	p.k.wake(p.k.now, p)
	p.park()
}

type procKey struct{}

// procCtx is a context that carries a process (context.WithValue's
// behaviour for the key procKey{}).
type procCtx struct {
	context.Context
	p *Proc
}

func (c *procCtx) Value(key any) any {
	if key == (procKey{}) {
		return c.p
	}
	return c.Context.Value(key)
}

// WithProc returns a context that carries p; simulated engines recover the
// calling process from the context their methods receive. Every process
// is given a context about once (the runner's client, each FanOut child),
// so the first one is the process's own field; a context is never
// changed once returned, so later calls make a new one.
func WithProc(ctx context.Context, p *Proc) context.Context {
	if p.ctx.p == nil {
		p.ctx = procCtx{Context: ctx, p: p}
		return &p.ctx
	}
	return &procCtx{Context: ctx, p: p}
}

// ProcFrom returns the process carried by ctx. It panics when there is none:
// a simulated engine called outside the simulation is a wiring bug.
func ProcFrom(ctx context.Context) *Proc {
	if c, ok := ctx.(*procCtx); ok {
		return c.p
	}
	p, _ := ctx.Value(procKey{}).(*Proc)
	if p == nil {
		panic("sim: context carries no process; simulated engines must be called from a sim.Proc")
	}
	return p
}
