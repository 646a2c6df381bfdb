package sim

import "time"

// CPU is a node's processor: a number of cores and a FIFO run queue. Work is
// charged as service time; when all cores are busy, work waits in line, so
// queueing delay and saturation emerge from load instead of being assumed.
type CPU struct {
	k     *Kernel
	cores int
	busy  int
	// queue is the work waiting for a core: a process to wake or (with no
	// process) a step to schedule, both at the instant the core is handed
	// over — the events a future's waiter, or a Then callback scheduling
	// the step, would make.
	queue []runner
	// busyTime accumulates service time, for utilisation.
	busyTime time.Duration
}

// NewCPU returns a CPU with the given cores (at least 1).
func NewCPU(k *Kernel, cores int) *CPU {
	if cores < 1 {
		cores = 1
	}
	return &CPU{k: k, cores: cores}
}

// Exec runs d of service time for p on this CPU, waiting for a core first if
// none is free. Queueing is charged to CatQueue, service to CatCPU.
func (c *CPU) Exec(p *Proc, d time.Duration) {
	if d <= 0 {
		return
	}
	if c.busy < c.cores {
		c.busy++
	} else {
		// The releasing process hands its core over (release).
		start := c.k.now
		c.queue = append(c.queue, p)
		p.park()
		p.ledger[CatQueue] += c.k.now - start
	}
	p.Sleep(d, CatCPU)
	c.release(d)
}

// release ends d of service: the core goes to the first work in line, or
// becomes free.
func (c *CPU) release(d time.Duration) {
	c.busyTime += d
	if len(c.queue) > 0 {
		w := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.k.schedule(c.k.now, w)
		return
	}
	c.busy--
}

// execThen is Exec for work that has no process of its own: then runs when
// the service is over, in the event in which Exec would return, and every
// event is scheduled at the instant and in the order Exec's would be (the
// hand-off of a queued core wakes the next work at once; the service ends d
// later).
func (c *CPU) execThen(d time.Duration, then func()) {
	if d <= 0 {
		then()
		return
	}
	serve := func() {
		c.k.At(c.k.now+d, func() {
			c.release(d)
			then()
		})
	}
	if c.busy < c.cores {
		c.busy++
		serve()
		return
	}
	c.queue = append(c.queue, funcEvent(serve))
}

// Cores is the number of cores.
func (c *CPU) Cores() int { return c.cores }

// Queued is the number of work items waiting for a core.
func (c *CPU) Queued() int { return len(c.queue) }

// Utilization is busy time over (elapsed × cores).
func (c *CPU) Utilization() float64 {
	if c.k.now <= 0 {
		return 0
	}
	return float64(c.busyTime) / (float64(c.k.now) * float64(c.cores))
}

// arrival is a process's request reaching a node whose CPU serves it
// (Cluster.SendExec): the runner of the arrival event, which takes a core
// (or the place in line) for the process in the event itself, where the
// process would have been resumed only to ask for it.
type arrival struct {
	p      *Proc
	cpu    *CPU
	d      time.Duration
	queued bool // no core was free: the process waits in line
	at     Time
}

// run is what the process's Exec(d) would do first on being resumed at
// the arrival, with the same events: the core and the wake-up at the end
// of the service (the process resumed at once when that is the very next
// event, as Sleep does), or the place in line.
func (a *arrival) run() {
	p := a.p
	if p.dead || !p.parked {
		return
	}
	c, k := a.cpu, p.k
	if c.busy >= c.cores {
		a.queued, a.at = true, k.now
		c.queue = append(c.queue, p)
		return
	}
	c.busy++
	p.ledger[CatCPU] += a.d
	k.resumeAt(k.now+a.d, p)
}

// execSent is the end of a process's service whose reply follows at once
// (Cluster.ExecSend): the runner of the event at which the process would
// have been resumed to release the core, do its work there and send, doing
// all three with the same events — the core handed on, the work, the
// reply's delay drawn and the process's wake-up at its arrival (the
// process resumed at once when there is no delay or the arrival is the
// very next event, as Sleep does).
type execSent struct {
	p        *Proc
	c        *Cluster
	cpu      *CPU
	d        time.Duration
	from, to *Node
	at       Served
}

func (e *execSent) run() {
	p := e.p
	if p.dead || !p.parked {
		return
	}
	k, c := p.k, e.c
	e.cpu.release(e.d)
	if at := e.at; at != nil {
		e.at = nil
		at.Served()
	}
	c.messages++
	delay := c.Delay(e.from, e.to)
	if delay <= 0 {
		p.run()
		return
	}
	p.ledger[CatNetwork] += delay
	k.resumeAt(k.now+delay, p)
}
