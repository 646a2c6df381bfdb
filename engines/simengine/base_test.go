package simengine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/sim"
)

func newBase(t *testing.T) Base {
	topo, err := sim.Preset("region-3az")
	if err != nil {
		t.Fatal(err)
	}
	k := sim.NewKernel(1)
	t.Cleanup(k.Shutdown)
	return NewBase(sim.NewCluster(k, topo, sim.ClusterConfig{Epsilon: sim.FixedEpsilon(0)}))
}

func TestHorizonIsTheOldestOfFloorAndSnapshots(t *testing.T) {
	snaps := storage.NewSnapshots()
	if h := Horizon(100, snaps); h != 100 {
		t.Fatalf("no snapshot: %d, want the floor", h)
	}
	id := snaps.Acquire(40)
	if h := Horizon(100, snaps); h != 40 {
		t.Fatalf("a snapshot at 40: %d", h)
	}
	snaps.Release(id)
	if h := Horizon(-5, snaps); h != 0 {
		t.Fatalf("a negative floor (stale reads at the start): %d, want 0", h)
	}
}

// The collector advances the store's horizon and calls Trim with it, and
// Load installs rows at LoadTS.
func TestSchemaLoadAndGC(t *testing.T) {
	b := newBase(t)
	tb := &engines.Table{Name: "kv", Columns: []engines.Column{{Name: "k", Type: engines.TypeInt}}, PrimaryKey: []int{0}, ShardKey: -1}
	s := &engines.Schema{Tables: []*engines.Table{tb}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := b.Load(context.Background(), tb, nil); err == nil {
		t.Fatal("load before the schema was accepted")
	}
	var trimmed []storage.Timestamp
	b.CreateSchema(s, GC{Name: "gc", Every: 10 * time.Millisecond, Trim: func(h storage.Timestamp) { trimmed = append(trimmed, h) }})
	if err := b.Load(context.Background(), tb, []engines.Row{{engines.Int(7)}}); err != nil {
		t.Fatal(err)
	}
	if _, ts, _, ok := b.Store.Latest(tb.ID, engines.Key{engines.Int(7)}.Encode()); !ok || ts != LoadTS {
		t.Fatalf("loaded row at %d (found %v), want LoadTS", ts, ok)
	}
	b.Kernel.Run(35 * time.Millisecond)
	if len(trimmed) != 3 || trimmed[0] <= 0 || trimmed[2] <= trimmed[0] {
		t.Fatalf("trims %v: want three rising horizons", trimmed)
	}
}

func TestSessionsAndTransactionsAreNumbered(t *testing.T) {
	b := newBase(t)
	if err := b.CheckAZ("x", engines.Client{ID: 3, AZ: "mars-1a"}); err == nil || !strings.Contains(err.Error(), `x: client 3 is in AZ "mars-1a"`) {
		t.Fatalf("unknown AZ: %v", err)
	}
	c := engines.Client{ID: 3, AZ: "us-east-1b"}
	if err := b.CheckAZ("x", c); err != nil {
		t.Fatal(err)
	}
	b.SessionNodes(c, "client")
	nodes := b.SessionNodes(c, "client", "qp")
	if nodes[0].Name != "client-3-2" || nodes[1].Name != "qp-3-2" || nodes[1].AZ != "us-east-1b" {
		t.Fatalf("nodes %s %s in %s", nodes[0].Name, nodes[1].Name, nodes[1].AZ)
	}
	if b.NextTxn() != 1 || b.NextTxn() != 2 {
		t.Fatal("transactions not numbered from 1")
	}
}
