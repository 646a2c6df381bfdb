package ycsb

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/txbench/txbench/engines"
)

// --partition i/n: the shares' loads are disjoint and together the whole
// table, and a share's clients draw only its own keys.
func TestPartitionSharesTheKeys(t *testing.T) {
	const records, n = 1000, 3
	loaded := map[string]int{}
	for i := range n {
		o := DefaultOptions()
		o.Records = records
		w, err := New("ycsb", o, 7)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.SetPartition(i, n); err != nil {
			t.Fatal(err)
		}
		own := map[string]bool{}
		err = w.Load(context.Background(), func(_ context.Context, _ *engines.Table, rows []engines.Row) error {
			for _, r := range rows {
				k := r[0].Str()
				loaded[k]++
				own[k] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		c := w.newClient(i, rand.New(rand.NewPCG(1, uint64(i))))
		for range 2000 {
			if k := c.keyOf(c.key())[0].Str(); !own[k] {
				t.Fatalf("partition %d drew key %s it did not load", i, k)
			}
		}
	}
	if len(loaded) != records {
		t.Fatalf("the shares loaded %d distinct keys, want %d", len(loaded), records)
	}
	for k, c := range loaded {
		if c != 1 {
			t.Fatalf("key %s loaded %d times", k, c)
		}
	}
	// The shares' rows are the rows of an unpartitioned load.
	o := DefaultOptions()
	o.Records = records
	whole, _ := New("ycsb", o, 7)
	_ = whole.Load(context.Background(), func(_ context.Context, _ *engines.Table, rows []engines.Row) error {
		for _, r := range rows {
			if loaded[r[0].Str()] != 1 {
				t.Fatalf("key %s of the whole load is in no share", r[0].Str())
			}
		}
		return nil
	})
	d, _ := New("ycsb-d", o, 7)
	if err := d.SetPartition(0, 2); err == nil {
		t.Fatal("an inserting workload was partitioned")
	}
}
