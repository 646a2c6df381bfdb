package simengine

import (
	"time"

	"github.com/txbench/txbench/sim"
)

// Trips carries a transaction's messages between the client and the node
// that serves its session (a query processor, a router, a coordinator).
// An interactive transaction pays a round trip per statement and one for
// the commit; a one-shot transaction (engines.TxnOptions.OneShot, a stored
// procedure) sends its request once, before its first statement, and
// hears one reply, when it ends (committed or aborted).
type Trips struct {
	OneShot bool
	// arrived completes when the one-shot request has reached the
	// server; requests made meanwhile (parallel row operations of the
	// first statement) wait for it.
	arrived *sim.Future[bool]
}

// Request carries a statement (or the commit) from client to server.
func (r *Trips) Request(p *sim.Proc, cl *sim.Cluster, client, server *sim.Node) {
	if !r.OneShot {
		cl.Send(p, client, server)
		return
	}
	if r.arrived == nil {
		r.arrived = sim.NewFuture[bool](cl.Kernel())
		cl.Send(p, client, server)
		r.arrived.Set(true)
		return
	}
	if !r.arrived.Done() {
		sim.Await(p, r.arrived, sim.CatNetwork)
	}
}

// RequestExec is Request then server.CPU.Exec(p, d): an interactive
// statement's request and its service where it arrives, as one
// (Cluster.SendExec: the same events).
func (r *Trips) RequestExec(p *sim.Proc, cl *sim.Cluster, client, server *sim.Node, d time.Duration) {
	if !r.OneShot {
		cl.SendExec(p, client, server, d)
		return
	}
	r.Request(p, cl, client, server)
	server.CPU.Exec(p, d)
}

// ExecReply is server.CPU.Exec(p, d) then Reply: a service at the server
// whose answer goes back at once, as one for an interactive transaction
// (Cluster.ExecSend: the same events).
func (r *Trips) ExecReply(p *sim.Proc, cl *sim.Cluster, server, client *sim.Node, d time.Duration, final bool) {
	if !r.OneShot {
		cl.ExecSend(p, server, client, d, nil)
		return
	}
	server.CPU.Exec(p, d)
	r.Reply(p, cl, server, client, final)
}

// Sent reports whether the one-shot request has left the client.
func (r *Trips) Sent() bool { return r.arrived != nil }

// Reply carries an answer back; final says the transaction is over (its
// commit's answer, an abort, a rollback). A one-shot transaction hears only
// the final one.
func (r *Trips) Reply(p *sim.Proc, cl *sim.Cluster, server, client *sim.Node, final bool) {
	if r.OneShot && !final {
		return
	}
	cl.Send(p, server, client)
}
