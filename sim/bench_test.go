package sim

import (
	"fmt"
	"testing"
	"time"
)

// The kernel's cost per event, for the simulator's speed (issue 15). Each
// reports events per second of wall time.

// BenchmarkKernelSleep: 64 processes each sleeping in a loop (every event
// resumes a coroutine), the shape of clients waiting on the network.
func BenchmarkKernelSleep(b *testing.B) {
	k := NewKernel(1)
	defer k.Shutdown()
	for i := range 64 {
		k.Spawn("sleeper", func(p *Proc) {
			for {
				p.Sleep(time.Duration(1+i%7)*time.Microsecond, CatOther)
			}
		})
	}
	runEvents(b, k)
}

// BenchmarkKernelCallbacks: plain callbacks rescheduling themselves, over a
// queue of 1,000 pending events: the priority queue alone.
func BenchmarkKernelCallbacks(b *testing.B) { benchCallbacks(b, 1000, 13) }

// BenchmarkKernelCallbacks64: the same over 64 pending events, about what
// a YCSB-A run with 64 clients keeps queued near the clock.
func BenchmarkKernelCallbacks64(b *testing.B) { benchCallbacks(b, 64, 7) }

// benchCallbacks runs pending callbacks, each rescheduling itself 1 to
// spread µs ahead.
func benchCallbacks(b *testing.B, pending, spread int) {
	k := NewKernel(1)
	for i := range pending {
		var tick func()
		tick = func() { k.After(time.Duration(1+i%spread)*time.Microsecond, tick) }
		k.At(0, tick)
	}
	runEvents(b, k)
}

// BenchmarkKernelFanOut: a parent sending three parallel requests that each
// sleep once (a process spawned per request, as journal and Paxos
// replication do), then awaiting a majority.
func BenchmarkKernelFanOut(b *testing.B) {
	k := NewKernel(1)
	defer k.Shutdown()
	for range 16 {
		k.Spawn("parent", func(p *Proc) {
			for {
				fs := make([]*Future[struct{}], 3)
				for i := range fs {
					fs[i] = Go(k, "req", func(c *Proc) struct{} {
						c.Sleep(time.Duration(1+i)*time.Microsecond, CatNetwork)
						return struct{}{}
					})
				}
				Await(p, Quorum(k, fs, 2), CatReplication)
			}
		})
	}
	runEvents(b, k)
}

// BenchmarkReplicate: 16 clients each replicating to three nodes of us-3
// (Cluster.Replicate: a message, service on a one-core CPU, a pause and
// the reply per node) and awaiting a majority, as occ's journal and 2pc's
// Paxos do per commit.
func BenchmarkReplicate(b *testing.B) {
	topo, err := Preset("us-3")
	if err != nil {
		b.Fatal(err)
	}
	k := NewKernel(1)
	defer k.Shutdown()
	cl := NewCluster(k, topo, ClusterConfig{Jitter: true})
	client := cl.AddNode("client", "us-east-1a", 16)
	nodes := []*Node{cl.AddNode("a", "us-east-1a", 1), cl.AddNode("b", "us-east-1b", 1), cl.AddNode("c", "us-east-2a", 1)}
	pause := func(i int) time.Duration { return time.Duration(1+i) * time.Microsecond }
	appended := 0
	atB := func(int) { appended++ }
	quorums := 0
	for range 16 {
		k.Spawn("client", func(p *Proc) {
			for {
				Await(p, cl.Replicate("append", client, nodes, 5*time.Microsecond, pause, atB, 2), CatReplication)
				quorums++
			}
		})
	}
	// An iteration is one quorum (what b.N counts: the allocations are
	// per replication).
	b.ReportAllocs()
	start := k.Events()
	for b.Loop() {
		for q := quorums; quorums == q; {
			k.Run(k.Now() + time.Microsecond)
		}
	}
	b.ReportMetric(float64(k.Events()-start)/b.Elapsed().Seconds(), "events/s")
}

// runEvents advances k by one microsecond of virtual time per iteration
// and reports the events it ran per wall second.
func runEvents(b *testing.B, k *Kernel) {
	b.ReportAllocs()
	start := k.Events()
	for b.Loop() {
		k.Run(k.Now() + time.Microsecond)
	}
	b.ReportMetric(float64(k.Events()-start)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDelay: one message's delay with jitter, drawn over the links of
// 512 nodes in the three AZs of us-3 in a scattered order (a run's clients,
// sessions and servers: thousands of links, each with its own stream).
func BenchmarkDelay(b *testing.B) {
	topo, err := Preset("us-3")
	if err != nil {
		b.Fatal(err)
	}
	k := NewKernel(1)
	cl := NewCluster(k, topo, ClusterConfig{Jitter: true})
	azs := topo.Regions[0].AZs
	nodes := make([]*Node, 512)
	for i := range nodes {
		nodes[i] = cl.AddNode(fmt.Sprint("n", i), azs[i%len(azs)], 1)
	}
	rng := NewStream(1, "pairs")
	pairs := make([][2]*Node, 1<<16)
	for i := range pairs {
		pairs[i] = [2]*Node{nodes[rng.IntN(len(nodes))], nodes[rng.IntN(len(nodes))]}
	}
	for _, pr := range pairs { // every link's record made before timing
		cl.Delay(pr[0], pr[1])
	}
	var sum time.Duration
	i := 0
	for b.Loop() {
		pr := pairs[i%len(pairs)]
		i++
		sum += cl.Delay(pr[0], pr[1])
	}
	if sum < 0 {
		b.Fatal("negative delays")
	}
}

// BenchmarkKernelHold: 150 callbacks each rescheduling itself a
// network-like delay later (a YCSB-A run of occ or 2pc has ~150 events
// due within 50 ms pending): within an AZ (~0.1 ms), across AZs (~1 ms),
// across regions (~10-30 ms), and one in eight a tie with the previous
// one. The queues' cost per event (see horizons).
func BenchmarkKernelHold(b *testing.B) {
	rng := NewStream(1, "hold")
	delays := make([]time.Duration, 1<<12)
	for i := range delays {
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			delays[i] = time.Duration(50_000 + rng.IntN(100_000))
		case 4, 5, 6, 7:
			delays[i] = time.Duration(500_000 + rng.IntN(1_000_000))
		default:
			delays[i] = time.Duration(10_000_000 + rng.IntN(20_000_000))
		}
	}
	k := NewKernel(1)
	n, last := 0, Time(0)
	var tick func()
	tick = func() {
		n++
		at := k.Now() + delays[n%len(delays)]
		if n%8 == 0 && last > k.Now() {
			at = last
		}
		last = at
		k.At(at, tick)
	}
	for range 150 {
		tick()
	}
	// A millisecond a step (~30 events): runEvents' microsecond would
	// measure Run's calls more than the queues.
	start := k.Events()
	for b.Loop() {
		k.Run(k.Now() + time.Millisecond)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(k.Events()-start), "ns/event")
}
