package runner

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
	"github.com/txbench/txbench/workloads/ycsb"
)

// The engine gets every batch, in the order the workload made them, and
// an engine error stops the generator and is what the load returns.
func TestPipelineLoad(t *testing.T) {
	tables := []*engines.Table{{Name: "a"}, {Name: "b"}}
	generate := func(n int, made *int) func(context.Context, loadFunc) error {
		return func(ctx context.Context, load loadFunc) error {
			for i := range n {
				rows := []engines.Row{{engines.Int(int64(i))}}
				if err := load(ctx, tables[i%2], rows); err != nil {
					return err
				}
				*made = i + 1
			}
			return nil
		}
	}
	var made int
	var got []int64
	err := pipeline(context.Background(), generate(500, &made), func(_ context.Context, tb *engines.Table, rows []engines.Row) error {
		if tb != tables[len(got)%2] {
			t.Errorf("batch %d went to table %s", len(got), tb.Name)
		}
		got = append(got, rows[0][0].Int())
		return nil
	}, nil)
	if err != nil || len(got) != 500 || made != 500 {
		t.Fatalf("err %v, %d batches stored, %d made", err, len(got), made)
	}
	for i, v := range got {
		if v != int64(i) {
			t.Fatalf("batch %d stored as number %d", i, v)
		}
	}

	full := errors.New("disk full")
	made, stored := 0, 0
	err = pipeline(context.Background(), generate(100_000, &made), func(context.Context, *engines.Table, []engines.Row) error {
		if stored == 10 {
			return full
		}
		stored++
		return nil
	}, nil)
	if !errors.Is(err, full) {
		t.Fatalf("err %v, want the engine's", err)
	}
	if made > 10+loadQueue+2 {
		t.Errorf("the generator made %d batches after the engine failed at the 11th", made)
	}

	gen := errors.New("bad option")
	err = pipeline(context.Background(), func(ctx context.Context, load loadFunc) error {
		_ = load(ctx, tables[0], nil)
		return gen
	}, func(context.Context, *engines.Table, []engines.Row) error { return nil }, nil)
	if !errors.Is(err, gen) {
		t.Fatalf("err %v, want the generator's", err)
	}
}

// The engine's context outlives the load: an engine that loads in the
// background (pg) keeps it until Flush.
func TestPipelineLeavesTheEngineContext(t *testing.T) {
	var kept context.Context
	err := pipeline(context.Background(), func(ctx context.Context, load loadFunc) error {
		return load(ctx, &engines.Table{Name: "a"}, nil)
	}, func(ctx context.Context, _ *engines.Table, _ []engines.Row) error {
		kept = ctx
		return nil
	}, nil)
	if err != nil || kept.Err() != nil {
		t.Fatalf("err %v, the engine's context after the load: %v", err, kept.Err())
	}
}

// With done, every batch comes back after the engine stored it, in the
// order generated, and a batch that failed to load does not.
func TestPipelineHandsBatchesBack(t *testing.T) {
	tb := &engines.Table{Name: "a"}
	done := make(chan []engines.Row, loadQueue+2)
	var back []int64
	takeBack := func() {
		for len(done) > 0 {
			r := (<-done)[0]
			if r[1].IsNull() {
				t.Errorf("batch %d came back before it was stored", r[0].Int())
			}
			back = append(back, r[0].Int())
		}
	}
	err := pipeline(context.Background(), func(ctx context.Context, load loadFunc) error {
		for i := range 100 {
			if err := load(ctx, tb, []engines.Row{{engines.Int(int64(i)), engines.Null}}); err != nil {
				return err
			}
			takeBack()
		}
		return nil
	}, func(_ context.Context, _ *engines.Table, rows []engines.Row) error {
		rows[0][1] = engines.Int(1) // stored (the engine's to write until it is back)
		return nil
	}, done)
	if err != nil {
		t.Fatal(err)
	}
	takeBack()
	if len(back) != 100 || !slices.IsSorted(back) {
		t.Errorf("batches came back as %v", back)
	}

	full := errors.New("disk full")
	done = make(chan []engines.Row, loadQueue+2)
	err = pipeline(context.Background(), func(ctx context.Context, load loadFunc) error {
		return load(ctx, tb, []engines.Row{{engines.Int(1)}})
	}, func(context.Context, *engines.Table, []engines.Row) error { return full }, done)
	if !errors.Is(err, full) || len(done) != 0 {
		t.Errorf("err %v, %d batches back, want the engine's error and none", err, len(done))
	}
}

// countingEngine counts the rows it is loaded with, as rows or packed.
type countingEngine struct {
	engines.Engine
	rows, packed int
}

func (e *countingEngine) Load(_ context.Context, _ *engines.Table, rows []engines.Row) error {
	e.rows += len(rows)
	return nil
}

func (e *countingEngine) LoadPacked(_ context.Context, _ *engines.Table, rows []engines.PackedRow) error {
	e.packed += len(rows)
	return nil
}

// rowsOnly hides a workload's PackedLoader.
type rowsOnly struct{ workloads.Workload }

// A workload that packs its rows hands them packed to an engine that takes
// them so, and as rows to one that does not (or when it cannot pack, with
// --partitions); every row arrives once either way.
func TestLoadRowsPacksWhenBothCan(t *testing.T) {
	o := ycsb.DefaultOptions()
	o.Records = 2500
	wl, err := ycsb.New("ycsb-a", o, 1)
	if err != nil {
		t.Fatal(err)
	}
	e := &countingEngine{}
	if err := loadRows(context.Background(), wl, e); err != nil || e.packed != 2500 || e.rows != 0 {
		t.Errorf("packing workload, packing engine: err %v, %d rows, %d packed; want 2500 packed", err, e.rows, e.packed)
	}
	e = &countingEngine{}
	if err := loadRows(context.Background(), rowsOnly{wl}, e); err != nil || e.packed != 0 || e.rows != 2500 {
		t.Errorf("workload without packing: err %v, %d rows, %d packed; want 2500 rows", err, e.rows, e.packed)
	}
	o.Partitions = 4
	parted, err := ycsb.New("ycsb-a", o, 1)
	if err != nil {
		t.Fatal(err)
	}
	e = &countingEngine{}
	if err := loadRows(context.Background(), parted, e); err != nil || e.packed != 0 || e.rows != 2500 {
		t.Errorf("--partitions: err %v, %d rows, %d packed; want 2500 rows", err, e.rows, e.packed)
	}
}
