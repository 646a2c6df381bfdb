package engines

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// RowBuilder writes the bytes PackKeyed writes for the same row, whether a
// pool substring is added as Shared or as Value: for pools of ids below
// and above 127, offsets of one to four varint bytes, lengths on both
// sides of the inline and one-byte edges and too short to gain, and
// values of every kind around them.
func TestRowBuilderIsPackKeyed(t *testing.T) {
	// The big pool first: it needs an id below 128 (the one-byte case),
	// as most pools have.
	big := ShareStrings(strings.Repeat("0123456789-row-builder-big/", 100_000))
	bp, ok := PoolOf(big)
	if !ok || bp.id >= 1<<7 {
		t.Fatalf("PoolOf(a registered pool): %v, id %d; want it found, its id below 128", ok, bp.id)
	}
	var pools []SharedPool
	for i := 0; len(pools) == 0 || pools[len(pools)-1].id < 130; i++ {
		s := ShareStrings(fmt.Sprintf("row-builder-pool-%d/", i) + strings.Repeat("abcdefghij", 30))
		p, ok := PoolOf(s)
		if !ok {
			t.Fatalf("pool %d is registered but PoolOf does not find it", i)
		}
		pools = append(pools, p)
	}
	pools = append(pools, bp, bp, bp, bp, bp, bp, bp, bp) // with offsets of three and four bytes
	if _, ok := PoolOf(strings.Clone(big)); ok {
		t.Error("PoolOf found a copy of a pool, which is not registered")
	}
	tb := &Table{Name: "t", Columns: []Column{{Name: "a", Type: TypeString}, {Name: "b", Type: TypeInt}}, PrimaryKey: []int{1, 0}}
	rng := rand.New(rand.NewPCG(7, 8))
	scalars := []Value{Null, Int(-5), Int(1 << 40), Float(0.25), DecimalValue(Decimal{Units: 12345, Scale: 2}), String(""), String("plain"), String(strings.Repeat("p", 200))}
	var rb RowBuilder
	for range 20_000 {
		row := make(Row, 2+rng.IntN(10))
		row[0] = String(fmt.Sprint("key", rng.IntN(1000)))
		row[1] = Int(rng.Int64N(100))
		type ref struct{ p, off, n int }
		refs := map[int]ref{}
		for i := 2; i < len(row); i++ {
			if rng.IntN(3) == 0 {
				row[i] = scalars[rng.IntN(len(scalars))]
				continue
			}
			p := rng.IntN(len(pools))
			n := []int{0, 1, 3, 20, 21, 30, 31, 100, 127, 128, 250}[rng.IntN(11)]
			off := rng.IntN(len(pools[p].pool) - n + 1)
			row[i] = String(pools[p].pool[off : off+n])
			refs[i] = ref{p, off, n}
		}
		rb.Begin(tb.KeyOf(row), len(row))
		for i, v := range row {
			if r, ok := refs[i]; ok && rng.IntN(4) != 0 {
				if rng.IntN(2) == 0 {
					rb.Shared(pools[r.p], r.off, r.n)
				} else {
					rb.SharedAll(pools[r.p], r.n, []int{r.off})
				}
			} else {
				rb.Value(v)
			}
		}
		got := rb.Finish()
		key, packed := tb.PackKeyed(row)
		if got.Key != key || got.Row != packed {
			t.Fatalf("%v: built key %q row %q, PackKeyed %q %q", row, got.Key, got.Row, key, packed)
		}
	}
	// SharedAll of several fields at once, as YCSB adds its row's fields.
	for range 2000 {
		p := pools[rng.IntN(len(pools))]
		n := []int{0, 5, 31, 100, 127, 128}[rng.IntN(6)]
		offs := make([]int, 1+rng.IntN(10))
		row := Row{String("k"), Int(1)}
		for i := range offs {
			offs[i] = rng.IntN(len(p.pool) - n + 1)
			row = append(row, String(p.pool[offs[i]:offs[i]+n]))
		}
		rb.Begin(tb.KeyOf(row), len(row))
		rb.Value(row[0])
		rb.Value(row[1])
		rb.SharedAll(p, n, offs)
		got := rb.Finish()
		if key, packed := tb.PackKeyed(row); got.Key != key || got.Row != packed {
			t.Fatalf("%v: built key %q row %q, PackKeyed %q %q", row, got.Key, got.Row, key, packed)
		}
	}
}

// packedOnly is an engine that takes packed rows and a schema, and nothing
// else.
type packedOnly struct{ Engine }

func (packedOnly) CreateSchema(context.Context, *Schema) error { return nil }
func (packedOnly) LoadPacked(context.Context, *Table, []PackedRow) error {
	return nil
}

// WithIndexes' wrapper offers the engine's LoadPacked while no table has a
// secondary index (their entries are made from rows), and an engine
// without one is not offered it.
func TestLoadsPackedThroughIndexes(t *testing.T) {
	plain := &Table{Name: "p", Columns: []Column{{Name: "k", Type: TypeInt}, {Name: "v", Type: TypeString}}, PrimaryKey: []int{0}}
	e := WithIndexes(packedOnly{})
	if err := e.CreateSchema(context.Background(), &Schema{Tables: []*Table{plain}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := LoadsPacked(e); !ok {
		t.Error("no secondary index: the wrapper does not offer LoadPacked")
	}
	indexed := &Table{Name: "i", Columns: plain.Columns, PrimaryKey: []int{0}, Indexes: []Index{{Name: "by_v", Columns: []int{1}}}}
	e = WithIndexes(packedOnly{})
	if err := e.CreateSchema(context.Background(), &Schema{Tables: []*Table{indexed}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := LoadsPacked(e); ok {
		t.Error("a table with a secondary index: the wrapper offers LoadPacked")
	}
	if _, ok := LoadsPacked(WithIndexes(struct{ Engine }{})); ok {
		t.Error("an engine without LoadPacked is offered it")
	}
}
