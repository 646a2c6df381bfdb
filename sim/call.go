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
		r := &call{c: c, a: a, b: b, work: work, pause: pause, atB: atB}
		r.f.k = c.k
		r.step = r.next
		c.k.schedule(c.k.now, nil, r.step) // the process's start
		return &r.f
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
	k.schedule(k.now, nil, func() {
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
	g := &callGroup{calls: make([]call, len(tos)), pause: pause, atB: atB, quorum: quorum}
	g.q.k = c.k
	for i, b := range tos {
		r := &g.calls[i]
		*r = call{c: c, a: a, b: b, work: work, g: g, i: i}
		r.step = r.next
		c.k.schedule(c.k.now, nil, r.step) // each call's start, in order
	}
	if quorum <= 0 {
		g.q.Set(true)
	}
	return &g.q
}

// callGroup is a Replicate's calls and its quorum.
type callGroup struct {
	calls   []call
	pause   func(i int) time.Duration
	atB     func(i int)
	quorum  int
	replies int
	q       Future[bool]
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
	k.schedule(k.now+d, nil, then)
}

// call is a Call without message CPU as one record whose step runs each of
// its events in turn: the closures of the general path (the message, the
// service, the pause, the reply: eight allocations a call) cost more than
// the work of a replication request. Every event is scheduled at the
// instant and in the order of the general path's (sendThen, execThen,
// sleepThen; TestCallMatchesItsProcess).
type call struct {
	c     *Cluster
	a, b  *Node
	work  time.Duration
	pause func() time.Duration
	atB   func()
	f     Future[struct{}]
	step  func() // next, bound once
	// g, if set, is the Replicate this call is number i of: its pause and
	// atB are g's, and its reply counts towards g's quorum instead of
	// completing f.
	g          *callGroup
	i          int
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

func (r *call) next() {
	k := r.c.k
	switch r.stage {
	case callSend:
		r.send(r.a, r.b, callArrived)
	case callArrived:
		cpu := r.b.CPU
		switch {
		case r.waitedCore:
			// execThen's serve after a hand-over: the service from now.
		case r.work <= 0:
			r.served()
			return
		case cpu.busy < cpu.cores:
			cpu.busy++
		default:
			cpu.queue = append(cpu.queue, cpuWaiter{step: r.step})
			r.waitedCore = true
			return
		}
		r.stage = callServed
		k.schedule(k.now+r.work, nil, r.step)
	case callServed:
		r.b.CPU.release(r.work)
		r.served()
	case callPaused:
		r.reply()
	case callReplied:
		if g := r.g; g != nil {
			if g.replies++; g.replies == g.quorum {
				g.q.Set(true)
			}
			return
		}
		r.f.Set(struct{}{})
	}
}

// served is what follows the service: the pause, or the reply at once.
func (r *call) served() {
	var d time.Duration // the pause, drawn when the service is over
	switch g := r.g; {
	case g != nil && g.pause != nil:
		d = g.pause(r.i)
	case g == nil && r.pause != nil:
		d = r.pause()
	}
	if d > 0 {
		r.stage = callPaused
		r.c.k.schedule(r.c.k.now+d, nil, r.step)
		return
	}
	r.reply()
}

func (r *call) reply() {
	if g := r.g; g != nil {
		if g.atB != nil {
			g.atB(r.i)
		}
	} else if r.atB != nil {
		r.atB()
	}
	r.send(r.b, r.a, callReplied)
}

// send is sendThen without message CPU: the step to stage then when the
// message arrives (at once when a == b).
func (r *call) send(a, b *Node, then callStage) {
	c := r.c
	c.messages++
	r.stage = then
	if a == b {
		r.next()
		return
	}
	if d := c.Delay(a, b); d > 0 {
		c.k.schedule(c.k.now+d, nil, r.step)
		return
	}
	r.next()
}
