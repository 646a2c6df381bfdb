package tpcc

import (
	"context"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/occ"
	"github.com/txbench/txbench/engines/storage"
	"github.com/txbench/txbench/runner"
)

// BenchmarkLoad measures the loader: generating one warehouse at full scale
// (plus the 100,000 items), alone and installed into the occ engine's
// storage core.
func BenchmarkLoad(b *testing.B) {
	b.Run("generate", func(b *testing.B) {
		w := newTestWorkload(b, DefaultOptions())
		rows := 0
		sink := func(_ context.Context, _ *engines.Table, r []engines.Row) error { rows += len(r); return nil }
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := w.Load(context.Background(), sink); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(rows/b.N), "rows/op")
	})
	b.Run("occ", func(b *testing.B) {
		rows := 0
		for range b.N {
			s := prepare(b, "occ", nil)
			rows += engines.Unwrap(s.Engine).(*occ.Engine).Store.Stats().Keys
			s.Close()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	})
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemoryPerWarehouse loads 1 and then 2 warehouses at full scale
// into the occ engine and reports the live heap a warehouse adds (items are
// shared and excluded), and what the rows' values alone would cost as
// 16-byte Values (the simulated engines keep them packed instead).
func BenchmarkMemoryPerWarehouse(b *testing.B) {
	for range b.N {
		base := heapAfterGC()
		one := prepare(b, "occ", map[string]string{"warehouses": "1"})
		h1 := heapAfterGC()
		one.Close()
		one = nil
		base2 := heapAfterGC()
		two := prepare(b, "occ", map[string]string{"warehouses": "2"})
		h2 := heapAfterGC()
		perWarehouse := float64(h2-base2) - float64(h1-base)
		b.ReportMetric(perWarehouse/(1<<20), "MiB/warehouse")
		b.ReportMetric(float64(h1-base)/(1<<20), "MiB-1-warehouse")
		w := two.Workload.(*Workload)
		s := w.size
		// The indexes' entries: (w, d, last, first, c_id) and (w, d, c_id, o_id).
		const byNameCols, byCustomerCols = 5, 4
		values := districts*(dCols+s.customers*(cCols+byNameCols+hCols)+s.customers*(oCols+byCustomerCols)+
			(s.customers-s.delivered)*noCols) + wCols + s.items*sCols
		// Order lines: 10 per order on average (5..15).
		values += districts * s.customers * 10 * olCols
		b.ReportMetric(float64(values*int64(unsafe.Sizeof(engines.Value{})))/(1<<20), "values-MiB/warehouse")
		runtime.KeepAlive(two)
	}
}

// BenchmarkNewOrdersPerWallSecond runs the standard mix on occ (1 warehouse,
// full scale, 16 clients, 10 s of virtual time) and reports the New-Orders
// the simulator completes per second of wall time, load excluded.
func BenchmarkNewOrdersPerWallSecond(b *testing.B) {
	for range b.N {
		cfg := config(b, "occ", nil)
		cfg.Warmup = 0
		var started, ended time.Time
		cfg.Progress = func(done, total time.Duration, _ int64) {
			if started.IsZero() {
				started = time.Now()
			}
		}
		cfg.Observe = func(*runner.Simulation) { ended = time.Now() }
		r, err := runner.Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		wall := ended.Sub(started).Seconds()
		no := r.TxnTypes[0].Committed
		b.ReportMetric(float64(no)/wall, "new-orders/wall-s")
		b.ReportMetric(float64(r.SimEvents)/wall, "events/wall-s")
		b.ReportMetric(r.WorkloadMetrics[0].Value, "tpmC")
	}
}

// BenchmarkMemoryByTable says where a warehouse's bytes go: each table of
// one full-scale warehouse installed alone in a storage core the way the
// simulated engines install it (encoded key and packed row in one
// allocation), live heap after
// GC. Items are shared by all warehouses.
func BenchmarkMemoryByTable(b *testing.B) {
	w := newTestWorkload(b, DefaultOptions())
	for range b.N {
		for _, t := range w.schema.Tables {
			base := heapAfterGC()
			st := storage.New[engines.Packed](len(w.schema.Tables))
			rows := 0
			err := w.Load(context.Background(), func(_ context.Context, tb *engines.Table, rs []engines.Row) error {
				if tb != t {
					return nil
				}
				for _, r := range rs {
					key, p := tb.PackKeyed(r)
					st.Load(tb.ID, key, 1, p)
				}
				rows += len(rs)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			used := heapAfterGC() - base
			runtime.KeepAlive(st)
			b.ReportMetric(float64(used)/(1<<20), t.Name+"-MiB")
			if rows > 0 {
				b.ReportMetric(float64(used)/float64(rows), t.Name+"-B/row")
			}
		}
	}
}
