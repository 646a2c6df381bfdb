package sim

import (
	"fmt"
	"testing"
	"time"
)

// TestSendExecMatchesSendThenExec: SendExec against the Send and Exec it
// stands for, with processes contending for one-core nodes (requests
// served at once, queued, and ending as the very next event), requests to
// the node itself, zero service, and a process killed while its request
// is in flight; with and without message CPU (where it is those calls).
func TestSendExecMatchesSendThenExec(t *testing.T) {
	eachMsgCPU(t, func(t *testing.T, msgCPU time.Duration) {
		run := func(merged bool) []string {
			w := newCallWorld(msgCPU)
			k, cl, nodes, note := w.k, w.cl, w.nodes, w.note
			contend(w, func(p *Proc, from, to *Node, d time.Duration) {
				if merged {
					cl.SendExec(p, from, to, d)
				} else {
					cl.Send(p, from, to)
					to.CPU.Exec(p, d)
				}
			})
			// Killed with its request on the wire (a to c is ~10 ms).
			inFlight := k.Spawn("in-flight", func(p *Proc) {
				p.Sleep(50*time.Millisecond, CatOther)
				if merged {
					cl.SendExec(p, nodes[0], nodes[2], time.Millisecond)
				} else {
					cl.Send(p, nodes[0], nodes[2])
					nodes[2].CPU.Exec(p, time.Millisecond)
				}
				note("in-flight served")
			})
			k.At(51*time.Millisecond, func() { inFlight.kill(); note("killed in flight") })
			// Alone: each arrival and each service end is the next event.
			k.Spawn("alone", func(p *Proc) {
				p.Sleep(time.Second, CatOther)
				for i := range 5 {
					if merged {
						cl.SendExec(p, nodes[i%3], nodes[(i+1)%3], 50*time.Microsecond)
					} else {
						cl.Send(p, nodes[i%3], nodes[(i+1)%3])
						nodes[(i+1)%3].CPU.Exec(p, 50*time.Microsecond)
					}
					note("alone step %d: %v", i, p.Ledger())
				}
			})
			return w.finish()
		}
		sameTrace(t, run(true), run(false), 24*20, "SendExec", "Send+Exec")
	})
}

// contend runs 24 clients of 30 steps each on w's one-core nodes (a short
// pause, then step from one node to another with up to 160 µs of service)
// and kills client 5 at 40 ms.
func contend(w *callWorld, step func(p *Proc, from, to *Node, d time.Duration)) {
	var victim *Proc
	for c := range 24 {
		p := w.k.Spawn("client", func(p *Proc) {
			for i := range 30 {
				p.Sleep(time.Duration(w.rng.IntN(4))*20*time.Microsecond, CatOther)
				from, to := w.nodes[(c+i)%3], w.nodes[(c+2*i+c/3)%3]
				step(p, from, to, time.Duration(w.rng.IntN(5))*40*time.Microsecond)
				w.note("client %d step %d at %s: %v", c, i, to.Name, p.Ledger())
			}
		})
		if c == 5 {
			victim = p
		}
	}
	w.k.At(40*time.Millisecond, func() { victim.kill(); w.note("killed") })
}

// eachMsgCPU runs test without message CPU and with it.
func eachMsgCPU(t *testing.T, test func(t *testing.T, msgCPU time.Duration)) {
	for _, msgCPU := range []time.Duration{0, 15 * time.Microsecond} {
		t.Run(fmt.Sprint("msg-cpu ", msgCPU), func(t *testing.T) { test(t, msgCPU) })
	}
}

// TestReplicateAwaitMatchesReplicate: ReplicateAwait against Replicate and
// an Await, over rounds that reuse replication records (quorums of one,
// two and all, stragglers replying after the waiter resumed, a quorum of
// none, replications to one node and to five), with and without message
// CPU; the records are reused only when every call has replied.
func TestReplicateAwaitMatchesReplicate(t *testing.T) {
	eachMsgCPU(t, func(t *testing.T, msgCPU time.Duration) {
		run := func(pooled bool) []string {
			w := newCallWorld(msgCPU)
			k, cl, a, rng, note := w.k, w.cl, w.a, w.rng, w.note
			five := append(append([]*Node{}, w.nodes...), w.nodes[1:]...)
			pause := func(i int) time.Duration { return time.Duration(rng.IntN(4)) * 300 * time.Microsecond }
			for c := range 6 {
				k.Spawn("client", func(p *Proc) {
					for round := range 40 {
						tos := w.nodes
						if round%5 == 4 {
							tos = five
						} else if round%7 == 6 {
							tos = w.nodes[2:]
						}
						quorum := (round + c) % (len(tos) + 1)
						atB := func(i int) { note("client %d round %d at %s", c, round, tos[i].Name) }
						var ok bool
						if pooled {
							ok = cl.ReplicateAwait(p, "req", a, tos, 60*time.Microsecond, pause, ArrivalFunc(atB), quorum, CatReplication)
						} else {
							ok = Await(p, cl.Replicate("req", a, tos, 60*time.Microsecond, pause, atB, quorum), CatReplication)
						}
						note("client %d round %d quorum %d %v: %v", c, round, quorum, ok, p.Ledger())
					}
				})
			}
			return w.finish()
		}
		sameTrace(t, run(true), run(false), 6*40*3, "ReplicateAwait", "Replicate")
	})
}

// servedFunc is a function as a Served.
type servedFunc func()

func (f servedFunc) Served() { f() }

// TestExecSendMatchesExecThenSend: ExecSend against the Exec, the work at
// the end of the service (or none) and the Send it stands for, with processes contending for one-core nodes (services
// started at once and queued, replies to the node itself, zero service),
// a process killed in the middle of its service and one killed with its
// reply on the wire, a process alone (each service's end and each reply's
// arrival the very next event) and two (one waiting for the other's
// core); with and without message CPU (where it is those calls).
func TestExecSendMatchesExecThenSend(t *testing.T) {
	eachMsgCPU(t, func(t *testing.T, msgCPU time.Duration) {
		run := func(merged bool) []string {
			w := newCallWorld(msgCPU)
			k, cl, nodes, note := w.k, w.cl, w.nodes, w.note
			served := 0
			serve := func(p *Proc, at, to *Node, d time.Duration) {
				served++
				var work Served = servedFunc(func() { note("served %d at %s", served, at.Name) })
				if served%4 == 0 {
					work = nil
				}
				if merged {
					cl.ExecSend(p, at, to, d, work)
				} else {
					at.CPU.Exec(p, d)
					if work != nil {
						work.Served()
					}
					cl.Send(p, at, to)
				}
			}
			contend(w, serve)
			for _, kill := range []time.Duration{52 * time.Millisecond, 56 * time.Millisecond} {
				// Killed in its 5 ms service, and with its reply
				// (~10 ms from c to a) on the wire.
				p := k.Spawn("killed", func(p *Proc) {
					p.Sleep(50*time.Millisecond, CatOther)
					serve(p, nodes[2], nodes[0], 5*time.Millisecond)
					note("killed process answered")
				})
				k.At(kill, func() { p.kill(); note("killed at %v", kill) })
			}
			k.Spawn("alone", func(p *Proc) {
				p.Sleep(time.Second, CatOther)
				for i := range 5 {
					serve(p, nodes[i%3], nodes[(i+1)%3], 50*time.Microsecond)
					note("alone step %d: %v", i, p.Ledger())
				}
			})
			// Two alone, one queued behind the other: the core handed over
			// at the end of a service comes before the reply's arrival.
			for j := range 2 {
				k.Spawn("pair", func(p *Proc) {
					p.Sleep(2*time.Second, CatOther)
					for i := range 3 {
						serve(p, nodes[1], nodes[0], time.Duration(50+j)*time.Microsecond)
						note("pair %d step %d: %v", j, i, p.Ledger())
					}
				})
			}
			return w.finish()
		}
		sameTrace(t, run(true), run(false), 400, "ExecSend", "Exec+Send")
	})
}
