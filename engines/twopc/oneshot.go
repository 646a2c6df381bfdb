package twopc

import (
	"fmt"

	"github.com/txbench/txbench/sim"
)

// One-shot transactions (engines.TxnOptions.OneShot): Spanner's client
// library drives a transaction statement by statement from the client; a
// stored procedure instead runs where the data is, as Deneva's servers run
// their transactions. The session's coordinator — a front-end node in the
// AZ of the split leader nearest the client — receives the transaction in
// one request, sends every lock, read and commit request to the leaders
// itself (it stands where the client stood in an interactive transaction:
// wound notices and replies come to it), and answers the client once.

// coordinatorNode adds the node that runs s's one-shot transactions.
func (e *Engine) coordinatorNode(s *session) *sim.Node {
	leaders := make([]*sim.Node, len(e.groups))
	for i, g := range e.groups {
		leaders[i] = g.leader.node
	}
	near := e.Cluster.Nearest(s.client, leaders)
	return e.Cluster.AddNode(fmt.Sprintf("coord-%s", s.client.Name), near.AZ, 1)
}

// home is where the transaction runs: the client, or the coordinator of a
// one-shot transaction.
func (t *txn) home() *sim.Node {
	if t.opts.OneShot {
		return t.s.coord
	}
	return t.s.client
}

// out is the node a request leaves from (home), once a one-shot
// transaction's request has reached its coordinator.
func (t *txn) out(p *sim.Proc) *sim.Node {
	if t.opts.OneShot {
		t.trips.Request(p, t.e.Cluster, t.s.client, t.s.coord)
	}
	return t.home()
}

// answer is a one-shot transaction's one reply, with its outcome, from the
// coordinator to the client (nothing for an interactive transaction, whose
// client heard every answer itself).
func (t *txn) answer(p *sim.Proc) {
	if t.opts.OneShot {
		t.trips.Request(p, t.e.Cluster, t.s.client, t.s.coord)
		t.trips.Reply(p, t.e.Cluster, t.s.coord, t.s.client, true)
	}
}
