package simengine

import (
	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/storage"
)

// ReplicaRead is a point read of a replica's view done at the end of the
// read's service, in the event that sends its answer back
// (sim.Cluster.ExecSend, whose sim.Served it is): the read sees the store
// as the process would have at that instant, and the process is resumed
// only where the answer arrives. Take one from the engine's ReplicaReads
// (Base.Reads) for each read and give it back after; reads in flight at
// once (other sessions', a transaction's parallel row requests) take one
// each.
type ReplicaRead struct {
	View  *storage.Replica[engines.Packed]
	Table int
	Key   string
	TS    storage.Timestamp
	// Row, OK and Err are View.Get's results once served.
	Row engines.Packed
	OK  bool
	Err error
}

// Served reads (sim.Served).
func (r *ReplicaRead) Served() { r.Row, r.OK, r.Err = r.View.Get(r.Table, r.Key, r.TS) }

// ReplicaReads is a free list of read records; the zero value is empty.
type ReplicaReads []*ReplicaRead

// Take returns a record for a read of key in table at ts.
func (l *ReplicaReads) Take(view *storage.Replica[engines.Packed], table int, key string, ts storage.Timestamp) *ReplicaRead {
	r := pop(l)
	if r == nil {
		r = new(ReplicaRead)
	}
	*r = ReplicaRead{View: view, Table: table, Key: key, TS: ts}
	return r
}

// Give puts r back for a later read; nothing may use it afterwards.
func (l *ReplicaReads) Give(r *ReplicaRead) {
	*r = ReplicaRead{}
	*l = append(*l, r)
}

func pop(l *ReplicaReads) *ReplicaRead {
	n := len(*l)
	if n == 0 {
		return nil
	}
	r := (*l)[n-1]
	(*l)[n-1] = nil
	*l = (*l)[:n-1]
	return r
}
