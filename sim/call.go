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
