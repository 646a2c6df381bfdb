package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// ClusterConfig holds the cluster-wide model parameters.
type ClusterConfig struct {
	// Jitter draws each message's delay from the link's log-normal
	// distribution; off, every message takes exactly half the median RTT
	// (what model tests use).
	Jitter bool
	// Epsilon is the clock-uncertainty model shared by every node's clock.
	Epsilon Epsilon
	// NetDelay is added to the one-way delay of every message between two
	// different nodes (Deneva's added network delay, VLDB'17 §5.4).
	NetDelay time.Duration
	// MsgCPU is the CPU a message between two different nodes costs its
	// sender before it leaves and its receiver when it arrives (message
	// handling: serialization, the network stack); 0, as every preset
	// has, makes messages free of CPU.
	MsgCPU time.Duration
}

// Cluster is the simulated machine room: nodes placed in a Topology's AZs,
// a network between them, a CPU per node and a clock per node.
type Cluster struct {
	k      *Kernel
	topo   *Topology
	cfg    ClusterConfig
	nodes  []*Node
	byName map[string]*Node
	links  map[[2]*Node]*rand.Rand
	// paths[a.idx-1][b.idx-1] caches what Delay needs for a link between
	// two nodes of this cluster: a message then costs no topology look-up
	// (AZ and region names compared as strings), no map access and no
	// logarithm.
	paths [][]*path
	// faults is nil unless a fault schedule is installed (fault.go).
	faults *faultSchedule
	// watches are OnDown callbacks (fault.go).
	watches []downWatch
	// cutWatches are OnCutOff callbacks (fault.go).
	cutWatches []cutWatch
	// handoffs are OnHandoff callbacks (fault.go).
	handoffs []func(place string)
	// messages counts one-way messages sent (a cheap sanity statistic).
	messages uint64
	// spare3 and spare6 are replication records nothing holds any more,
	// for the next ReplicateAwait.
	spare3 []*callGroup3
	spare6 []*callGroup6
	// sparePosts are Post's records that have delivered their message.
	sparePosts []*post
}

// NewCluster returns an empty cluster on k over t.
func NewCluster(k *Kernel, t *Topology, cfg ClusterConfig) *Cluster {
	return &Cluster{k: k, topo: t, cfg: cfg, byName: map[string]*Node{}, links: map[[2]*Node]*rand.Rand{}}
}

func (c *Cluster) Kernel() *Kernel       { return c.k }
func (c *Cluster) Topology() *Topology   { return c.topo }
func (c *Cluster) Config() ClusterConfig { return c.cfg }
func (c *Cluster) Nodes() []*Node        { return c.nodes }
func (c *Cluster) Messages() uint64      { return c.messages }

// Node is one machine: a place (region, AZ), CPU cores and a clock.
type Node struct {
	Name   string
	Region string
	AZ     string
	CPU    *CPU
	Clock  *Clock
	idx    int // 1 + position in the cluster's nodes; 0 for a Node made elsewhere
}

// path is the link between two nodes: its distribution, precomputed, and
// its random stream, held in the record (the generator's state and the
// Rand drawing from it) so that a draw does not chase two more pointers to
// memory of its own: a run has thousands of links.
type path struct {
	median time.Duration
	sigma  float64 // of the log-normal; 0 when the link has no spread
	// ahead holds the link's next one-way delays, drawn several at a time
	// (fill): the same values in the same order as one draw per message —
	// the stream is the link's alone — with the exponentials computed in a
	// loop instead of one per message. next is the first unused one.
	next  int
	ahead [delaysAhead]time.Duration
	rng   rand.Rand
	pcg   rand.PCG
}

const delaysAhead = 8

// fill draws the link's next delaysAhead one-way delays.
func (pa *path) fill(net time.Duration) {
	for i := range pa.ahead {
		pa.ahead[i] = time.Duration(float64(pa.median)*math.Exp(pa.sigma*pa.rng.NormFloat64()))/2 + net
	}
	pa.next = 0
}

func (n *Node) String() string { return n.Name + "@" + n.AZ }

// AddNode places a node with the given number of cores in an AZ. Names must
// be unique; the node's clock offset is drawn from its own stream.
func (c *Cluster) AddNode(name, az string, cores int) *Node {
	if _, dup := c.byName[name]; dup {
		panic("sim: duplicate node " + name)
	}
	region := c.topo.RegionOf(az)
	if region == "" {
		panic(fmt.Sprintf("sim: node %s placed in unknown AZ %q", name, az))
	}
	n := &Node{
		Name: name, Region: region, AZ: az,
		CPU:   NewCPU(c.k, cores),
		Clock: newClock(c.k, c.cfg.Epsilon, c.k.Stream("clock/"+name)),
		idx:   len(c.nodes) + 1,
	}
	c.nodes = append(c.nodes, n)
	c.byName[name] = n
	if c.faults != nil {
		n.Clock.raised = c.faults.epsilonAt
	}
	return n
}

// Node returns the named node or nil.
func (c *Cluster) Node(name string) *Node { return c.byName[name] }

// Delay draws the one-way delay of one message from a to b: half a round
// trip drawn from the link's distribution. Each ordered pair of nodes has its
// own random stream.
func (c *Cluster) Delay(a, b *Node) time.Duration {
	if a.idx == 0 || b.idx == 0 {
		return c.slowDelay(a, b)
	}
	pa := c.path(a, b)
	if !c.cfg.Jitter || pa.sigma == 0 {
		return pa.median/2 + c.cfg.NetDelay
	}
	// Link.Sample, with sigma computed once per link, drawn ahead.
	if pa.next == len(pa.ahead) {
		pa.fill(c.cfg.NetDelay)
	}
	d := pa.ahead[pa.next]
	pa.next++
	return d
}

func (c *Cluster) path(a, b *Node) *path {
	if a.idx <= len(c.paths) {
		if row := c.paths[a.idx-1]; b.idx <= len(row) && row[b.idx-1] != nil {
			return row[b.idx-1]
		}
	}
	return c.newPath(a, b)
}

// newPath makes the path record of a node pair on its first message.
func (c *Cluster) newPath(a, b *Node) *path {
	for len(c.paths) < a.idx {
		c.paths = append(c.paths, nil)
	}
	row := c.paths[a.idx-1]
	for len(row) < b.idx {
		row = append(row, nil)
	}
	c.paths[a.idx-1] = row
	link := c.topo.RTT(a.AZ, b.AZ)
	pa := &path{median: link.Median, sigma: link.sigma(), next: delaysAhead}
	if c.cfg.Jitter && pa.sigma != 0 {
		pa.pcg = c.k.streamPCG("link/" + a.Name + "->" + b.Name)
		pa.rng = *rand.New(&pa.pcg)
	}
	row[b.idx-1] = pa
	return pa
}

// slowDelay is Delay for nodes the cluster did not place.
func (c *Cluster) slowDelay(a, b *Node) time.Duration {
	link := c.topo.RTT(a.AZ, b.AZ)
	if !c.cfg.Jitter {
		return link.Median/2 + c.cfg.NetDelay
	}
	key := [2]*Node{a, b}
	rng := c.links[key]
	if rng == nil {
		rng = c.k.Stream("link/" + a.Name + "->" + b.Name)
		c.links[key] = rng
	}
	return link.Sample(rng, true)/2 + c.cfg.NetDelay
}

// MedianDelay is the median one-way delay between two AZs, --net-delay
// included: what engines use where the model streams state continuously
// (closed timestamps, journal → storage apply) instead of sending messages.
func (c *Cluster) MedianDelay(azA, azB string) time.Duration {
	return c.topo.RTT(azA, azB).Median/2 + c.cfg.NetDelay
}

// Send carries a process's thread of control from a to b: the process
// sleeps for one message's delay. Request/response protocols are written as
// a Send there, work at the remote node, and a Send back.
func (c *Cluster) Send(p *Proc, a, b *Node) {
	c.messages++
	if c.cfg.MsgCPU > 0 && a != b {
		a.CPU.Exec(p, c.cfg.MsgCPU)
		defer b.CPU.Exec(p, c.cfg.MsgCPU)
	}
	if c.faults != nil {
		c.sendFaulty(p, a, b)
		return
	}
	if a == b {
		return
	}
	p.Sleep(c.Delay(a, b), CatNetwork)
}

// SendExec is Send(p, a, b) then b.CPU.Exec(p, d) — a request and its
// service where it arrives — with the same events in the same order. The
// arrival event takes the core itself (arrival): the process is not
// resumed only to ask for it, which saves a coroutine switch each way for
// a request served at once.
func (c *Cluster) SendExec(p *Proc, a, b *Node, d time.Duration) {
	if d <= 0 || a == b || c.faults != nil || c.cfg.MsgCPU > 0 {
		c.Send(p, a, b)
		b.CPU.Exec(p, d)
		return
	}
	c.messages++
	delay := c.Delay(a, b)
	k := p.k
	t := k.now + delay
	if delay <= 0 || k.runsNext(t) {
		p.Sleep(delay, CatNetwork)
		b.CPU.Exec(p, d)
		return
	}
	p.ledger[CatNetwork] += delay
	p.at = arrival{p: p, cpu: b.CPU, d: d}
	k.schedule(t, &p.at)
	p.park()
	if p.at.queued {
		// Handed a core by the work before it in line (CPU.release).
		p.ledger[CatQueue] += k.now - p.at.at
		p.Sleep(d, CatCPU)
	}
	b.CPU.release(d)
}

// ExecSend is b.CPU.Exec(p, d), then at.Served() (when at is not nil),
// then Send(p, b, a) — a service, what is done at its end, and the reply —
// with the same events in the same order. The event that ends the service
// releases the core, calls at.Served and sends the reply itself
// (execSent): the process is resumed once, where the reply arrives,
// instead of also at the end of the service only to send it. at.Served
// runs in that event, at the instant the process would have done its
// work, and must not block (a read of the store, say).
func (c *Cluster) ExecSend(p *Proc, b, a *Node, d time.Duration, at Served) {
	cpu, k := b.CPU, p.k
	if d <= 0 || a == b || c.faults != nil || c.cfg.MsgCPU > 0 || cpu.busy >= cpu.cores {
		cpu.Exec(p, d)
		if at != nil {
			at.Served()
		}
		c.Send(p, b, a)
		return
	}
	cpu.busy++
	p.ledger[CatCPU] += d
	t := k.now + d
	if k.runsNext(t) { // Sleep's shortcut: the service's end is the next event
		k.skipTo(t)
		cpu.release(d)
		if at != nil {
			at.Served()
		}
		c.Send(p, b, a)
		return
	}
	p.served = execSent{p: p, c: c, cpu: cpu, d: d, from: b, to: a, at: at}
	k.schedule(t, &p.served)
	p.park()
}

// A Served is work a process does at the end of a service, before its
// reply leaves (Cluster.ExecSend); it must not block.
type Served interface{ Served() }

// Nearest returns, among candidates, the node with the smallest median RTT
// from n (ties: the first in the list).
func (c *Cluster) Nearest(n *Node, candidates []*Node) *Node {
	var best *Node
	var bestRTT time.Duration
	for _, m := range candidates {
		r := c.topo.RTT(n.AZ, m.AZ).Median
		if best == nil || r < bestRTT {
			best, bestRTT = m, r
		}
	}
	return best
}
