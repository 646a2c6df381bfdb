package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestCallMatchesItsProcess runs the same load of requests twice, once with
// Cluster.Call and once with the process Call stands for (Send, Exec,
// Sleep, Send), and wants the same trace: every pause drawn, every atB and
// every reply at the same instant and in the same order, interleaved with a
// competing process that uses the same CPU and the same random stream.
// Requests queue on a one-core CPU and some go to the node itself; with
// and without a CPU cost per message.
func TestCallMatchesItsProcess(t *testing.T) {
	for _, msgCPU := range []time.Duration{0, 15 * time.Microsecond} {
		t.Run(fmt.Sprint("msg-cpu ", msgCPU), func(t *testing.T) { callMatchesItsProcess(t, msgCPU) })
	}
}

func callMatchesItsProcess(t *testing.T, msgCPU time.Duration) {
	run := func(useCall bool) []string {
		w := newCallWorld(msgCPU)
		k, cl, a, nodes, rng, note := w.k, w.cl, w.a, w.nodes, w.rng, w.note
		pause := func() time.Duration {
			d := time.Duration(rng.IntN(3)) * 100 * time.Microsecond // 0 sometimes: no sleep
			note("pause %v", d)
			return d
		}
		for round := range 20 {
			k.Spawn("client", func(p *Proc) {
				p.Sleep(time.Duration(round%4)*50*time.Microsecond, CatOther)
				var acks []*Future[struct{}]
				for i, n := range nodes {
					atB := func() { note("round %d at %s", round, n.Name) }
					work := time.Duration(i) * 80 * time.Microsecond // 0 on a: no service
					if useCall {
						acks = append(acks, cl.Call("req", a, n, work, pause, atB))
						continue
					}
					acks = append(acks, Go(k, "req", func(c *Proc) struct{} {
						cl.Send(c, a, n)
						n.CPU.Exec(c, work)
						c.Sleep(pause(), CatReplication)
						atB()
						cl.Send(c, n, a)
						return struct{}{}
					}))
				}
				for i, f := range acks {
					f.Then(func(struct{}) { note("round %d reply %d", round, i) })
				}
				Await(p, Quorum(k, acks, 2), CatReplication)
				note("round %d quorum", round)
				nodes[2].CPU.Exec(p, 30*time.Microsecond)
				note("round %d own work %v", round, rng.IntN(100))
			})
		}
		return w.finish()
	}
	sameTrace(t, run(true), run(false), 20*7, "Call", "process")
}

// callWorld is what the Call tests run on: three nodes of us-3 (a, one in
// another AZ, one in another region; one core each), a random stream for
// the pauses, and a trace of what happened when.
type callWorld struct {
	k     *Kernel
	cl    *Cluster
	a     *Node
	nodes []*Node // a first
	rng   *rand.Rand
	trace []string
}

func newCallWorld(msgCPU time.Duration) *callWorld {
	k := NewKernel(7)
	topo, _ := Preset("us-3")
	cl := NewCluster(k, topo, ClusterConfig{Jitter: true, MsgCPU: msgCPU})
	a := cl.AddNode("a", "us-east-1a", 1)
	nodes := []*Node{a, cl.AddNode("b", "us-east-1b", 1), cl.AddNode("c", "us-east-2a", 1)}
	return &callWorld{k: k, cl: cl, a: a, nodes: nodes, rng: k.Stream("pauses")}
}

func (w *callWorld) note(format string, args ...any) {
	w.trace = append(w.trace, fmt.Sprintf("%v ", w.k.Now())+fmt.Sprintf(format, args...))
}

// finish runs the simulation to its end and returns the trace.
func (w *callWorld) finish() []string {
	w.k.Run(-1)
	w.note("messages %d events %d", w.cl.Messages(), w.k.Events())
	return w.trace
}

// sameTrace wants two traces (of at least minLines lines) equal, naming the
// first line that differs.
func sameTrace(t *testing.T, got, want []string, minLines int, gotName, wantName string) {
	t.Helper()
	if len(want) < minLines {
		t.Fatalf("trace has %d lines", len(want))
	}
	if slices.Equal(got, want) {
		return
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("line %d: %s %q, %s %q", i, gotName, got[i], wantName, want[i])
		}
	}
	t.Fatalf("%s trace has %d lines, %s trace %d", gotName, len(got), wantName, len(want))
}

// TestReplicateMatchesCalls: Replicate against the Calls and the Quorum it
// stands for, on the load of TestCallMatchesItsProcess (a competing
// process, a shared random stream, queued CPUs, requests to the node
// itself), with and without message CPU (where Replicate is those Calls),
// to the three nodes and to each of them twice and three times (a group's
// record holds up to 6 calls, more have a slice of their own).
func TestReplicateMatchesCalls(t *testing.T) {
	for _, msgCPU := range []time.Duration{0, 15 * time.Microsecond} {
		for _, times := range []int{1, 2, 3} {
			t.Run(fmt.Sprint("msg-cpu ", msgCPU, " times ", times), func(t *testing.T) { replicateMatchesCalls(t, msgCPU, times) })
		}
	}
}

func replicateMatchesCalls(t *testing.T, msgCPU time.Duration, times int) {
	run := func(replicate bool) []string {
		w := newCallWorld(msgCPU)
		k, cl, a, rng, note := w.k, w.cl, w.a, w.rng, w.note
		var nodes []*Node
		for range times {
			nodes = append(nodes, w.nodes...)
		}
		pause := func(i int) time.Duration {
			d := time.Duration(rng.IntN(3)) * 100 * time.Microsecond
			note("pause %d %v", i, d)
			return d
		}
		const work = 80 * time.Microsecond
		for round := range 20 {
			k.Spawn("client", func(p *Proc) {
				p.Sleep(time.Duration(round%4)*50*time.Microsecond, CatOther)
				atB := func(i int) { note("round %d at %s", round, nodes[i].Name) }
				quorum := 1 + round%3
				var q *Future[bool]
				if replicate {
					q = cl.Replicate("req", a, nodes, work, pause, atB, quorum)
				} else {
					fs := make([]*Future[struct{}], len(nodes))
					for i, n := range nodes {
						fs[i] = cl.Call("req", a, n, work, func() time.Duration { return pause(i) }, func() { atB(i) })
					}
					q = Quorum(k, fs, quorum)
				}
				Await(p, q, CatReplication)
				note("round %d quorum of %d", round, quorum)
				nodes[2].CPU.Exec(p, 30*time.Microsecond)
				note("round %d own work %v", round, rng.IntN(100))
			})
		}
		return w.finish()
	}
	sameTrace(t, run(true), run(false), 20*5, "Replicate", "Calls")
}

// TestPostMatchesLaunch: Post against the process it stands for (Launch,
// Send, then), with and without message CPU (where Post is that process):
// messages to other nodes and to the sender itself, posted while other
// processes sleep, work and wait on what the posts deliver, so that some
// arrivals are the kernel's very next event (Sleep's skip) and some are
// not; the arrivals draw from a shared stream, and a process started
// after the posts notes its id (a post takes one, as its process did).
func TestPostMatchesLaunch(t *testing.T) {
	for _, msgCPU := range []time.Duration{0, 15 * time.Microsecond} {
		t.Run(fmt.Sprint("msg-cpu ", msgCPU), func(t *testing.T) { postMatchesLaunch(t, msgCPU) })
	}
}

func postMatchesLaunch(t *testing.T, msgCPU time.Duration) {
	run := func(usePost bool) []string {
		w := newCallWorld(msgCPU)
		k, cl, nodes, rng, note := w.k, w.cl, w.nodes, w.rng, w.note
		post := func(from, to *Node, then func()) {
			if usePost {
				cl.Post("post", from, to, then)
				return
			}
			k.Launch("post", func(p *Proc) {
				cl.Send(p, from, to)
				then()
			})
		}
		for round := range 12 {
			k.Spawn("client", func(p *Proc) {
				p.Sleep(time.Duration(round%3)*70*time.Microsecond, CatOther)
				got := NewFuture[int](k)
				for i, to := range nodes {
					from := nodes[(round+i)%len(nodes)] // to itself at times
					post(from, to, func() {
						note("round %d post %d at %s draws %d", round, i, to.Name, rng.IntN(100))
						got.Set(i)
					})
				}
				note("round %d first arrival %d", round, Await(p, got, CatOther))
				nodes[round%len(nodes)].CPU.Exec(p, 40*time.Microsecond)
				if round%4 == 0 {
					// Alone in the kernel: the arrival is the next event.
					post(nodes[0], nodes[2], func() { note("round %d lone post", round) })
				}
				note("round %d done, id of a new process %d", round, k.Spawn("after", func(*Proc) {}).ID())
			})
		}
		return w.finish()
	}
	sameTrace(t, run(true), run(false), 12*5, "Post", "process")
}
