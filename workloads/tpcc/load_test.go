package tpcc

import (
	"context"
	"testing"
	"unsafe"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
)

// LoadRecycling refills the batches that come back with the same rows Load
// hands over fresh, table by table in the same order, and reuses their
// memory: a recycled batch's rows start all NULL, whatever the table
// before.
func TestLoadRecyclingLoadsTheSameRows(t *testing.T) {
	o := DefaultOptions()
	o.Warehouses, o.Scale = 2, 0.05
	w := newTestWorkload(t, o)
	type loaded struct {
		t    *engines.Table
		rows []engines.Row
	}
	var fresh []loaded
	if err := w.Load(context.Background(), func(_ context.Context, tb *engines.Table, rows []engines.Row) error {
		fresh = append(fresh, loaded{tb, enginetest.Copies(rows)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var again []loaded
	done := make(chan []engines.Row, 4) // as the runner's: sends never wait
	mem := map[*engines.Row]bool{}
	if err := w.LoadRecycling(context.Background(), func(_ context.Context, tb *engines.Table, rows []engines.Row) error {
		again = append(again, loaded{tb, enginetest.Copies(rows)})
		mem[unsafe.SliceData(rows)] = true
		for _, r := range rows {
			for j := range r {
				r[j] = engines.String("scribbled") // the engine's to overwrite
			}
		}
		select {
		case done <- rows:
		default:
		}
		return nil
	}, done); err != nil {
		t.Fatal(err)
	}
	if len(again) != len(fresh) {
		t.Fatalf("%d batches recycling, %d fresh", len(again), len(fresh))
	}
	for i := range fresh {
		f, a := fresh[i], again[i]
		if f.t != a.t || len(f.rows) != len(a.rows) {
			t.Fatalf("batch %d: %s with %d rows, want %s with %d", i, a.t.Name, len(a.rows), f.t.Name, len(f.rows))
		}
		for j := range f.rows {
			if len(a.rows[j]) != len(f.rows[j]) {
				t.Fatalf("batch %d (%s) row %d: %d values, want %d", i, f.t.Name, j, len(a.rows[j]), len(f.rows[j]))
			}
			for k := range f.rows[j] {
				if !a.rows[j][k].Equal(f.rows[j][k]) || a.rows[j][k].Kind() != f.rows[j][k].Kind() {
					t.Fatalf("batch %d (%s) row %d value %d: %v, want %v", i, f.t.Name, j, k, a.rows[j][k], f.rows[j][k])
				}
			}
		}
	}
	// Every batch came back before the next was made: a batch's rows are
	// one slice however many tables take turns.
	if len(mem) > 8 {
		t.Errorf("%d batches' memory for %d batches, want a few", len(mem), len(again))
	}
}
