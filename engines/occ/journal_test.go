package occ

import (
	"testing"

	"github.com/txbench/txbench/sim"
)

// TestJournalRecordReuse: prune lets a record be registered again only
// when nothing can reach it — registered owned (a single adjudicator's
// commit), decided, appended once by every journal replica — and, when a
// read that copied the in-flight list began before the prune, only at a
// prune after that read is over.
func TestJournalRecordReuse(t *testing.T) {
	k := sim.NewKernel(1)
	e := &Engine{}
	e.Kernel = k
	j := &journal{nodes: make([]*sim.Node, 3), quorum: 2}
	e.journal = j
	commit := func(owned bool, replicas int) *commitRecord {
		rec := j.register(k, 1, 10, owned)
		rec.e = e
		rec.ts = 10
		rec.decided.Set(true)
		for i := range replicas {
			rec.Arrived(i)
		}
		return rec
	}
	notDown := func(*sim.Node) bool { return false }
	prune := func() { j.prune(1000, 0, notDown) }

	owned := commit(true, 3)
	kept := commit(false, 3)
	straggler := commit(true, 2) // a replica has not appended it
	aborted := j.register(k, 2, 10, true)
	aborted.decided.Set(false)

	read := j.beginRead() // a read under way: it may hold any of them
	prune()
	if len(j.inflight) != 1 || j.inflight[0] != straggler {
		t.Fatalf("kept %d records, want the straggler only", len(j.inflight))
	}
	if len(j.spareRecs) != 0 {
		t.Fatal("a record was made spare while a read that began before the prune is under way")
	}
	if fresh := j.register(k, 3, 10, false); fresh == owned {
		t.Fatal("a retired record was registered again while a read may hold it")
	}
	later := j.beginRead() // began after the prune: cannot hold them
	j.endRead(read)
	prune()
	if len(j.spareRecs) != 1 || j.spareRecs[0] != owned {
		t.Fatalf("spare %v; want only the owned record every replica appended", j.spareRecs)
	}
	again := j.register(k, 4, 20, false)
	if again != owned {
		t.Fatal("register did not take the spare record")
	}
	if again.txn != 4 || again.lower != 20 || again.ts != 0 || again.owned || again.appended != 0 ||
		again.decided.Done() || again.durable.Done() || len(again.arrived) != 3 || again.arrived[0].Done() {
		t.Errorf("a reused record is not a new one: %+v", again)
	}
	for _, r := range []*commitRecord{kept, straggler, aborted} {
		if r == again {
			t.Fatal("a record something may still point at was registered again")
		}
	}
	j.endRead(later)
	if len(j.reads) == 0 || j.reads[0] != 0 {
		t.Errorf("reads %v after every read ended", j.reads)
	}
}
