package enginetest_test

import (
	"context"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/occ"
	"github.com/txbench/txbench/engines/sharded"
	"github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/sim"
)

// implicitKV makes kv's rows 0..99 implicit: row i is (i, 1000+i).
func implicitKV() func(key string) (engines.Row, bool) {
	byKey := map[string]int64{}
	for i := range 100 {
		byKey[enginetest.Key(i).Encode()] = int64(i)
	}
	return func(key string) (engines.Row, bool) {
		i, ok := byKey[key]
		if !ok {
			return nil, false
		}
		return engines.Row{engines.Int(i), engines.Int(1000 + i)}, true
	}
}

// Every simulated engine's read paths (read-write, read-only at a replica,
// the write's own read) see an unwritten implicit row as the row the source
// gives, a written one as written, and a key the source does not have as
// absent.
func TestImplicitRowsReadAsLoaded(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(cl *sim.Cluster) (engines.Engine, error)
	}{
		{"occ", func(cl *sim.Cluster) (engines.Engine, error) { return occ.New(cl, occ.DefaultConfig()) }},
		{"2pc", func(cl *sim.Cluster) (engines.Engine, error) { return twopc.New(cl, twopc.DefaultConfig()) }},
		{"sharded", func(cl *sim.Cluster) (engines.Engine, error) { return sharded.New(cl, sharded.DefaultConfig()) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			topo, err := sim.Preset("region-3az")
			enginetest.Must(t, err)
			k := sim.NewKernel(1)
			t.Cleanup(k.Shutdown)
			cl := sim.NewCluster(k, topo, sim.ClusterConfig{})
			e, err := c.build(cl)
			enginetest.Must(t, err)
			ctx := context.Background()
			enginetest.Must(t, e.CreateSchema(ctx, enginetest.KV))
			enginetest.Must(t, e.(engines.ImplicitLoader).LoadImplicit(enginetest.Table, implicitKV()))
			w := &enginetest.Sim[engines.Engine]{K: k, Cl: cl, E: e, Ctx: ctx}

			get := func(ctx context.Context, s engines.Session, o engines.TxnOptions, key int) (v int64, found bool) {
				enginetest.Must(t, enginetest.RunTxn(ctx, s, o, func(tx engines.Txn) error {
					r, ok, err := tx.Get(ctx, enginetest.Table, enginetest.Key(key))
					if ok {
						v = r[1].Int()
					}
					found = ok
					return err
				}).Err)
				return v, found
			}
			done := false
			w.Client(t, 1, topo.Regions[0].AZs[0], func(ctx context.Context, s engines.Session) {
				for _, o := range []engines.TxnOptions{enginetest.RW, enginetest.RO} {
					if v, ok := get(ctx, s, o, 7); !ok || v != 1007 {
						t.Errorf("unwritten row 7 (read-only %v) = %d, %v; want 1007", o.ReadOnly, v, ok)
					}
					if _, ok := get(ctx, s, o, 100); ok {
						t.Errorf("key 100 (read-only %v), not a row, was found", o.ReadOnly)
					}
				}
				// An update reads the implicit row to modify it.
				enginetest.Must(t, enginetest.RunTxn(ctx, s, enginetest.RW, func(tx engines.Txn) error {
					return tx.Update(ctx, enginetest.Table, enginetest.Key(7), engines.Set{Col: 1, Val: engines.Int(5)})
				}).Err)
				for _, o := range []engines.TxnOptions{enginetest.RW, enginetest.RO} {
					if v, ok := get(ctx, s, o, 7); !ok || v != 5 {
						t.Errorf("row 7 after the update (read-only %v) = %d, %v; want 5", o.ReadOnly, v, ok)
					}
					if v, ok := get(ctx, s, o, 8); !ok || v != 1008 {
						t.Errorf("unwritten row 8 (read-only %v) = %d, %v; want 1008", o.ReadOnly, v, ok)
					}
				}
				done = true
			})
			w.Run()
			if !done {
				t.Fatal("the client did not finish")
			}
		})
	}
}
