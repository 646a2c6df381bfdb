package sim

import (
	"fmt"
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
		k := NewKernel(7)
		topo, _ := Preset("us-3")
		cl := NewCluster(k, topo, ClusterConfig{Jitter: true, MsgCPU: msgCPU})
		a := cl.AddNode("a", "us-east-1a", 1)
		nodes := []*Node{a, cl.AddNode("b", "us-east-1b", 1), cl.AddNode("c", "us-east-2a", 1)}
		rng := k.Stream("pauses")
		var trace []string
		note := func(format string, args ...any) {
			trace = append(trace, fmt.Sprintf("%v ", k.Now())+fmt.Sprintf(format, args...))
		}
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
		k.Run(-1)
		note("messages %d events %d", cl.Messages(), k.Events())
		return trace
	}
	calls, procs := run(true), run(false)
	if len(procs) < 20*7 {
		t.Fatalf("trace has %d lines", len(procs))
	}
	if !slices.Equal(calls, procs) {
		for i := range min(len(calls), len(procs)) {
			if calls[i] != procs[i] {
				t.Fatalf("line %d: Call %q, process %q", i, calls[i], procs[i])
			}
		}
		t.Fatalf("Call trace has %d lines, process trace %d", len(calls), len(procs))
	}
}
