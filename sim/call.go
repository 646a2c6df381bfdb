package sim

import "time"

// Call is a request from node a to node b that needs no process of its own:
// the message to b, work of service time on b's CPU, a pause (pause() drawn
// when the work is done; nil: none), atB (called at b when the pause is
// over; nil: nothing), and the reply to a. The future completes when the
// reply arrives.
//
// It is what
//
//	Go(k, name, func(p *Proc) struct{} {
//		c.Send(p, a, b); b.CPU.Exec(p, work); p.Sleep(pause(), CatReplication)
//		atB(); c.Send(p, b, a); return struct{}{}
//	})
//
// does, event for event: without faults it runs as a chain of scheduled
// callbacks, each event at the instant and in the order (the kernel's
// sequence numbers) of the process's, with the random draws in the same
// order, so results are identical; it only saves the process and its
// coroutine switches (replication fan-outs send one per replica per commit).
// With faults, which may hold a message until a node recovers, it is that
// process. Nothing observes the child process: its ledger is dropped.
func (c *Cluster) Call(name string, a, b *Node, work time.Duration, pause func() time.Duration, atB func()) *Future[struct{}] {
	if c.faults != nil {
		return Go(c.k, name, func(p *Proc) struct{} {
			c.Send(p, a, b)
			b.CPU.Exec(p, work)
			if pause != nil {
				p.Sleep(pause(), CatReplication)
			}
			if atB != nil {
				atB()
			}
			c.Send(p, b, a)
			return struct{}{}
		})
	}
	if c.cfg.MsgCPU == 0 {
		// A group of one (see Replicate): its quorum's completion, through
		// the callback, completes f in the same event.
		var pi func(int) time.Duration
		if pause != nil {
			pi = func(int) time.Duration { return pause() }
		}
		var ai func(int)
		if atB != nil {
			ai = func(int) { atB() }
		}
		f := NewFuture[struct{}](c.k)
		c.replicate(a, []*Node{b}, work, pi, arrivals(ai), 1, false).q.Then(func(bool) { f.Set(struct{}{}) })
		return f
	}
	k := c.k
	f := NewFuture[struct{}](k)
	reply := func() {
		if atB != nil {
			atB()
		}
		c.sendThen(b, a, func() { f.Set(struct{}{}) })
	}
	served := reply
	if pause != nil {
		served = func() { k.sleepThen(pause(), reply) }
	}
	// The process would start in an event of its own, now.
	k.At(k.now, func() {
		c.sendThen(a, b, func() { b.CPU.execThen(work, served) })
	})
	return f
}

// Replicate sends the same request from a to every node of tos and returns
// a future that completes once quorum of them have replied: what
//
//	fs := make([]*Future[struct{}], len(tos))
//	for i, b := range tos {
//		fs[i] = c.Call(name, a, b, work, func() time.Duration { return pause(i) }, func() { atB(i) })
//	}
//	return Quorum(c.k, fs, quorum)
//
// does, event for event (pause or atB nil: none). Without faults and
// message CPU the fan-out is one record (callGroup) holding every call,
// instead of a record, a future and two closures per destination and a
// quorum's future and callback: engines replicate every commit this way.
func (c *Cluster) Replicate(name string, a *Node, tos []*Node, work time.Duration, pause func(i int) time.Duration, atB func(i int), quorum int) *Future[bool] {
	if c.faults != nil || c.cfg.MsgCPU != 0 {
		fs := make([]*Future[struct{}], len(tos))
		for i, b := range tos {
			var p func() time.Duration
			if pause != nil {
				p = func() time.Duration { return pause(i) }
			}
			var at func()
			if atB != nil {
				at = func() { atB(i) }
			}
			fs[i] = c.Call(name, a, b, work, p, at)
		}
		return Quorum(c.k, fs, quorum)
	}
	return &c.replicate(a, tos, work, pause, arrivals(atB), quorum, false).q
}

// Arrivals is told when a replication's request has reached replica i and
// been served there (Replicate's atB, for ReplicateAwait): a record that
// implements it is passed as it is, where a closure over it was an
// allocation of every replication.
type Arrivals interface{ Arrived(i int) }

// ArrivalFunc is a function as Arrivals.
type ArrivalFunc func(i int)

func (f ArrivalFunc) Arrived(i int) { f(i) }

// arrivals is f as Arrivals, nil for nil.
func arrivals(f func(i int)) Arrivals {
	if f == nil {
		return nil
	}
	return ArrivalFunc(f)
}

// ReplicateAwait is Await(p, Replicate(...), cat). The group's record is
// used again by a later replication once p has heard the quorum and every
// call has replied, when nothing holds it any more (Replicate's caller
// may keep the future): a replication record was 8% of the bytes a 2pc
// YCSB-A run allocated, 15% of a sharded one's.
func (c *Cluster) ReplicateAwait(p *Proc, name string, a *Node, tos []*Node, work time.Duration, pause func(i int) time.Duration, atB Arrivals, quorum int, cat Category) bool {
	if c.faults != nil || c.cfg.MsgCPU != 0 {
		var at func(i int)
		if atB != nil {
			at = atB.Arrived
		}
		return Await(p, c.Replicate(name, a, tos, work, pause, at, quorum), cat)
	}
	g := c.replicate(a, tos, work, pause, atB, quorum, true)
	ok := Await(p, &g.q, cat)
	g.awaited = true
	g.recycle()
	return ok
}

// reuse returns a zeroed record: a spare when pooled and there is one,
// else a new one.
func reuse[T any](spare *[]*T, pooled bool) *T {
	if pooled {
		if r := pop(spare); r != nil {
			var zero T
			*r = zero
			return r
		}
	}
	return new(T)
}

// recycle gives a pooled group's record back to its cluster once it has
// been awaited and every call has replied.
func (g *callGroup) recycle() {
	if !g.awaited || g.replies < len(g.calls) {
		return
	}
	c := g.c
	switch {
	case g.rec3 != nil:
		c.spare3 = append(c.spare3, g.rec3)
	case g.rec6 != nil:
		c.spare6 = append(c.spare6, g.rec6)
	}
}

// replicate is Replicate without faults and message CPU: one record for
// the group and its calls, sized for them (occ's journal and 2pc's Paxos
// groups replicate to 3 nodes, sharded to 6 copies).
//
// A pooled group's record comes from the cluster's spares when there is
// one, and goes back to them when it is done (ReplicateAwait).
func (c *Cluster) replicate(a *Node, tos []*Node, work time.Duration, pause func(i int) time.Duration, atB Arrivals, quorum int, pooled bool) *callGroup {
	var g *callGroup
	var calls []call
	var rec3 *callGroup3
	var rec6 *callGroup6
	switch n := len(tos); {
	case n <= 3:
		rec3 = reuse(&c.spare3, pooled)
		g, calls = &rec3.callGroup, rec3.calls[:0]
	case n <= 6:
		rec6 = reuse(&c.spare6, pooled)
		g, calls = &rec6.callGroup, rec6.calls[:0]
	default:
		g, calls = new(callGroup), make([]call, 0, n)
	}
	*g = callGroup{c: c, a: a, work: work, pause: pause, atB: atB, quorum: quorum, calls: calls}
	if pooled {
		g.rec3, g.rec6 = rec3, rec6
	}
	g.q.k = c.k
	for i, b := range tos {
		g.calls = append(g.calls, call{g: g, b: b, i: int32(i)})
	}
	for i := range g.calls {
		c.k.schedule(c.k.now, &g.calls[i]) // each call's start, in order
	}
	if quorum <= 0 {
		g.q.Set(true)
	}
	return g
}

// callGroup is a Replicate's calls and its quorum: what they share (the
// sender, the service time, the pause and the callback at the receiver)
// is held once.
type callGroup struct {
	c       *Cluster
	a       *Node
	work    time.Duration
	pause   func(i int) time.Duration
	atB     Arrivals
	quorum  int
	replies int
	q       Future[bool]
	calls   []call // in the same record, up to 6
	// rec3 or rec6 is the record holding a pooled group (ReplicateAwait);
	// awaited: its waiter has heard the quorum.
	rec3    *callGroup3
	rec6    *callGroup6
	awaited bool
}

// callGroup3 and callGroup6 are a group and its calls in one record.
type callGroup3 struct {
	callGroup
	calls [3]call
}

type callGroup6 struct {
	callGroup
	calls [6]call
}

// sendThen is Send for work without a process: then runs when the message
// arrives (at once when a == b). Only without faults.
func (c *Cluster) sendThen(a, b *Node, then func()) {
	c.messages++
	if a == b {
		then()
		return
	}
	if c.cfg.MsgCPU > 0 {
		// As Send: the sender's CPU, the flight, the receiver's CPU.
		a.CPU.execThen(c.cfg.MsgCPU, func() {
			c.k.sleepThen(c.Delay(a, b), func() { b.CPU.execThen(c.cfg.MsgCPU, then) })
		})
		return
	}
	c.k.sleepThen(c.Delay(a, b), then)
}

// sleepThen is Sleep for work without a process.
func (k *Kernel) sleepThen(d time.Duration, then func()) {
	if d <= 0 {
		then()
		return
	}
	k.At(k.now+d, then)
}

// call is one request of a callGroup, without message CPU, as one record
// whose run takes each of its events in turn: the closures of the general
// path (the message, the service, the pause, the reply: eight allocations
// a call) cost more than the work of a replication request. Every event is
// scheduled at the instant and in the order of the general path's
// (sendThen, execThen, sleepThen; TestCallMatchesItsProcess).
type call struct {
	g          *callGroup
	b          *Node
	i          int32 // the index in the group
	stage      callStage
	waitedCore bool // the core was handed over: service starts in this event
}

type callStage uint8

const (
	callSend    callStage = iota // the process starts: send to b
	callArrived                  // at b: take a core
	callServed                   // the service is over
	callPaused                   // the pause is over: reply
	callReplied                  // the reply is at a
)

func (r *call) run() {
	g := r.g
	k := g.c.k
	switch r.stage {
	case callSend:
		r.send(g.a, r.b, callArrived)
	case callArrived:
		cpu := r.b.CPU
		switch {
		case r.waitedCore:
			// execThen's serve after a hand-over: the service from now.
		case g.work <= 0:
			r.served()
			return
		case cpu.busy < cpu.cores:
			cpu.busy++
		default:
			cpu.queue = append(cpu.queue, r)
			r.waitedCore = true
			return
		}
		r.stage = callServed
		k.schedule(k.now+g.work, r)
	case callServed:
		r.b.CPU.release(g.work)
		r.served()
	case callPaused:
		r.reply()
	case callReplied:
		if g.replies++; g.replies == g.quorum {
			g.q.Set(true)
		}
		g.recycle() // the last reply after the waiter has heard the quorum
	}
}

// served is what follows the service: the pause, or the reply at once.
func (r *call) served() {
	g := r.g
	if g.pause != nil {
		if d := g.pause(int(r.i)); d > 0 { // drawn when the service is over
			r.stage = callPaused
			g.c.k.schedule(g.c.k.now+d, r)
			return
		}
	}
	r.reply()
}

func (r *call) reply() {
	if g := r.g; g.atB != nil {
		g.atB.Arrived(int(r.i))
	}
	r.send(r.b, r.g.a, callReplied)
}

// send is sendThen without message CPU: the step to stage then when the
// message arrives (at once when a == b).
func (r *call) send(a, b *Node, then callStage) {
	c := r.g.c
	c.messages++
	r.stage = then
	if a == b {
		r.run()
		return
	}
	if d := c.Delay(a, b); d > 0 {
		c.k.schedule(c.k.now+d, r)
		return
	}
	r.run()
}

// Post sends a message from a to b and calls then when it arrives, for a
// message nobody waits for (a release, a notice). It is what
//
//	k.Launch(name, func(p *Proc) { c.Send(p, a, b); then() })
//
// does, event for event: without faults and message CPU it is one record
// whose event at the instant of the process's start draws the flight and
// whose next event, at the process's wake-up, calls then — the kernel's
// sequence numbers and the random draws as the process's, so results are
// identical; it saves starting a coroutine, switching to it twice and
// finishing it (2pc sends a release and a wound notice for most aborts).
// then must not block. With faults, which may hold a message until a node
// recovers, or message CPU, it is that process.
func (c *Cluster) Post(name string, a, b *Node, then func()) {
	k := c.k
	if c.faults != nil || c.cfg.MsgCPU > 0 {
		k.Launch(name, func(p *Proc) {
			c.Send(p, a, b)
			then()
		})
		return
	}
	k.nprocs++ // as the process would have taken an id
	r := pop(&c.sparePosts)
	if r == nil {
		r = new(post)
	}
	*r = post{c: c, a: a, b: b, then: then}
	k.schedule(k.now, r) // where the process starts
}

// post is a message of Post on its way.
type post struct {
	c    *Cluster
	a, b *Node
	then func()
	sent bool // the flight is drawn: the next run is the arrival
}

func (r *post) run() {
	c := r.c
	if !r.sent {
		// The process's start: Send, then Sleep's steps.
		r.sent = true
		c.messages++
		if r.a != r.b {
			if d := c.Delay(r.a, r.b); d > 0 {
				k := c.k
				t := k.now + d
				if !k.runsNext(t) {
					k.schedule(t, r)
					return
				}
				k.skipTo(t)
			}
		}
	}
	then := r.then
	*r = post{}
	c.sparePosts = append(c.sparePosts, r)
	then()
}
