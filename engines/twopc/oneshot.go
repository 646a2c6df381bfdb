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

// With --2pc-one-shot-home leader (HomeLeader) a one-shot transaction runs
// instead at the leader of the split its first request goes to, as a
// Deneva client sends a transaction to the server of its first partition
// (its home server): the home's messages to itself are free, so a
// transaction whose rows all live on that split sends no message but the
// client's request and reply, and commits there without two-phase commit;
// one that touches other splits sends them its remote accesses and runs
// two-phase commit with its home split as the coordinator (the
// participant nearest it).

// home is where the transaction runs: the client, or the node running a
// one-shot transaction (its coordinator, or its home leader once chosen).
func (t *txn) home() *sim.Node {
	if !t.opts.OneShot {
		return t.s.client
	}
	if t.homeNode != nil {
		return t.homeNode
	}
	return t.s.coord
}

// out is the node a request to split g leaves from (home), once a one-shot
// transaction's request has reached it; the first request of a one-shot
// transaction under HomeLeader fixes its home at g's leader.
func (t *txn) out(p *sim.Proc, g *group) *sim.Node {
	if t.opts.OneShot {
		if t.homeNode == nil && t.e.cfg.OneShotHome == HomeLeader {
			t.homeNode = g.leader.node
		}
		t.trips.Request(p, t.e.Cluster, t.s.client, t.home())
	}
	return t.home()
}

// answer is a one-shot transaction's one reply, with its outcome, from the
// node that ran it to the client (nothing for an interactive transaction,
// whose client heard every answer itself).
func (t *txn) answer(p *sim.Proc) {
	if t.opts.OneShot {
		t.trips.Request(p, t.e.Cluster, t.s.client, t.home())
		t.trips.Reply(p, t.e.Cluster, t.home(), t.s.client, true)
	}
}
