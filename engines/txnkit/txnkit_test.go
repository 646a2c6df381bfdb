package txnkit

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/txbench/txbench/engines"
)

var (
	tbA = &engines.Table{ID: 0, Name: "a"}
	tbB = &engines.Table{ID: 1, Name: "b"}
)

func key(i int) engines.Key { return engines.Key{engines.Int(int64(i))} }
func enc(i int) string      { return key(i).Encode() }
func row(i, v int) engines.Row {
	return engines.Row{engines.Int(int64(i)), engines.Int(int64(v))}
}

func TestWriteSet(t *testing.T) {
	w := WriteSet{Sized: true}
	if w.Len() != 0 || w.Bytes() != 0 || w.Get(tbA, enc(1)) != nil {
		t.Fatal("zero value not empty")
	}
	w.Put(tbA, key(1), enc(1), row(1, 10))
	if !w.Lock(tbA, key(2), enc(2)) {
		t.Fatal("lock of an untouched row not added")
	}
	if w.Lock(tbA, key(1), enc(1)) {
		t.Fatal("a lock replaced a write")
	}
	w.Delete(tbA, key(3), enc(3))
	w.Put(tbB, key(1), enc(1), row(1, 20)) // same key, other table: another row
	w.Put(tbA, key(2), enc(2), row(2, 30)) // a write replaces a lock, keeps its place
	w.Put(tbA, key(1), enc(1), row(1, 11)) // rewritten: counted twice in bytes

	cases := []struct {
		tb                *engines.Table
		k                 int
		val               int64
		exists, own, lock bool
	}{
		{tbA, 1, 11, true, true, false},
		{tbA, 2, 30, true, true, false},
		{tbA, 3, 0, false, true, false},
		{tbB, 1, 20, true, true, false},
		{tbB, 2, 0, false, false, false},
	}
	for _, tc := range cases {
		r, exists, own := w.Read(tc.tb, enc(tc.k))
		if exists != tc.exists || own != tc.own || (exists && r[1].Int() != tc.val) {
			t.Errorf("%s(%d): %v %v %v, want value %d exists %v own %v", tc.tb.Name, tc.k, r, exists, own, tc.val, tc.exists, tc.own)
		}
	}
	var order []string
	for e := range w.All() {
		order = append(order, fmt.Sprintf("%s%v", e.Table.Name, e.Key))
		if e.RowKey != RowKey(e.Table, e.Enc) {
			t.Errorf("entry %v: row key %q", e.Key, e.RowKey)
		}
	}
	if got := fmt.Sprint(order); got != "[a(1) a(2) a(3) b(1)]" {
		t.Errorf("order %s, want first-touch order [a(1) a(2) a(3) b(1)]", got)
	}
	if w.Len() != 4 {
		t.Errorf("len %d, want 4", w.Len())
	}
	if want := 3*row(1, 0).Size() + row(2, 0).Size(); w.Bytes() != want {
		t.Errorf("bytes %d, want %d", w.Bytes(), want)
	}
	var locked WriteSet
	locked.Lock(tbA, key(5), enc(5))
	if _, _, own := locked.Read(tbA, enc(5)); own {
		t.Error("a lock-only entry reads as a write")
	}
}

// Keys builds the row key and the encoding at once: they must be what
// RowKey and Encode build apart, and an entry PutKeyed must be found as
// one Put, for table IDs whose rune takes one byte and several (0xD800
// is no rune: AppendRune writes U+FFFD).
func TestKeys(t *testing.T) {
	long := engines.Key{engines.String("a\x00b" + string(make([]byte, 100)))}
	for _, id := range []int{0, 127, 128, 4000, 0xD800} {
		tb := &engines.Table{ID: id, Name: fmt.Sprint(id)}
		for _, k := range []engines.Key{key(id), long, {engines.Int(-5), engines.String("x")}} {
			rk, enc := Keys(tb, k)
			if enc != k.Encode() || rk != RowKey(tb, k.Encode()) {
				t.Errorf("table %d, key %v: Keys = %q, %q; want %q, %q", id, k, rk, enc, RowKey(tb, k.Encode()), k.Encode())
			}
			var w WriteSet
			w.PutKeyed(tb, k, rk, enc, row(id, 1))
			if e := w.Get(tb, k.Encode()); e == nil || e.RowKey != rk || e.Enc != enc || w.Lookup(RowKey(tb, k.Encode())) != e {
				t.Errorf("table %d, key %v: PutKeyed entry %+v not found as a Put's", id, k, e)
			}
		}
	}
}

// A write set searched in order while small and through its index once
// larger must behave the same: a model map checks every step across the
// switch, rewrites included.
func TestWriteSetGrowsIndex(t *testing.T) {
	var w WriteSet
	model := map[int]int{} // key → last value
	var order []int
	rng := rand.New(rand.NewPCG(1, 1))
	for step := range 200 {
		k := rng.IntN(3 * smallSet)
		if _, ok := model[k]; !ok {
			order = append(order, k)
		}
		model[k] = step
		w.Put(tbA, key(k), enc(k), row(k, step))
		for j := range 3 * smallSet {
			r, exists, own := w.Read(tbA, enc(j))
			v, ok := model[j]
			if own != ok || exists != ok || (ok && r[1].Int() != int64(v)) {
				t.Fatalf("step %d, key %d: %v %v %v, want value %d present %v", step, j, r, exists, own, v, ok)
			}
		}
	}
	var got []int
	for e := range w.All() {
		got = append(got, int(e.Key[0].Int()))
	}
	if !slices.Equal(got, order) || w.Len() != len(order) {
		t.Errorf("order %v, want first-touch order %v", got, order)
	}
}

// Get builds the row key itself; it must name the entry RowKey names,
// for table IDs whose rune takes one byte and several, and long keys.
func TestWriteSetGetMatchesRowKey(t *testing.T) {
	long := engines.Key{engines.String(string(make([]byte, 100)))}
	var w WriteSet
	for _, id := range []int{0, 127, 128, 4000} {
		tb := &engines.Table{ID: id, Name: fmt.Sprint(id)}
		for _, k := range []engines.Key{key(id), long} {
			w.Put(tb, k, k.Encode(), row(id, id))
			e := w.Get(tb, k.Encode())
			if e == nil || e != w.Lookup(RowKey(tb, k.Encode())) {
				t.Errorf("table %d, key %v: Get %v, Lookup(RowKey) %v", id, k, e, w.Lookup(RowKey(tb, k.Encode())))
			}
		}
		if w.Get(tb, enc(id+1)) != nil {
			t.Errorf("table %d: an unwritten key found", id)
		}
	}
}

func TestRangeAndSingleShardValue(t *testing.T) {
	tb := &engines.Table{Columns: []engines.Column{{Name: "w", Type: engines.TypeInt}, {Name: "d", Type: engines.TypeInt}}, PrimaryKey: []int{0, 1}, ShardKey: 0}
	cases := []struct {
		s        engines.ScanSpec
		from, to string
		single   bool
	}{
		{engines.ScanSpec{}, "", "", false},
		{engines.ScanSpec{Start: key(3)}, enc(3), "", false},
		{engines.ScanSpec{Start: key(3), End: key(5)}, enc(3), enc(5), false},
		{engines.ScanSpec{Start: key(3), End: key(3), EndInclusivePrefix: true}, enc(3), engines.PrefixEnd(enc(3)), true},
	}
	for i, tc := range cases {
		from, to := Range(tc.s)
		if from != tc.from || to != tc.to {
			t.Errorf("case %d: range [%q, %q), want [%q, %q)", i, from, to, tc.from, tc.to)
		}
		if _, single := SingleShardValue(tb, tc.s); single != tc.single {
			t.Errorf("case %d: single %v", i, single)
		}
	}
}

func ints(krs []KeyedRow) string {
	var out []int64
	for _, kr := range krs {
		out = append(out, kr.Row[0].Int())
	}
	return fmt.Sprint(out)
}

func stored(keys ...int) []KeyedRow {
	var out []KeyedRow
	for _, k := range keys {
		out = append(out, KeyedRow{enc(k), row(k, 0)})
	}
	return out
}

// The shape every engine's test used: update 3, delete 4, insert 100 over
// committed rows 0..9, split over two sources.
func TestOverlay(t *testing.T) {
	var w WriteSet
	w.Put(tbA, key(3), enc(3), row(3, 33))
	w.Delete(tbA, key(4), enc(4))
	w.Put(tbA, key(100), enc(100), row(100, 7))
	w.Lock(tbA, key(6), enc(6))
	w.Put(tbB, key(5), enc(5), row(5, 1)) // another table: not in the scan
	// sources: committed rows 0..9 of [from, to) in scan order, evens and
	// odds apart, as a storage scan of two partitions returns them.
	sources := func(from, to string, reverse bool) [][]KeyedRow {
		srcs := make([][]KeyedRow, 2)
		for _, kr := range stored(0, 1, 2, 3, 4, 5, 6, 7, 8, 9) {
			if kr.Enc >= from && (to == "" || kr.Enc < to) {
				i := kr.Row[0].Int() % 2
				srcs[i] = append(srcs[i], kr)
			}
		}
		if reverse {
			slices.Reverse(srcs[0])
			slices.Reverse(srcs[1])
		}
		return srcs
	}
	cases := []struct {
		name     string
		from, to string
		reverse  bool
		limit    int
		none     bool // no committed rows at all
		want     string
	}{
		{"forward, limit", enc(2), "", false, 4, false, "[2 3 5 6]"},
		{"reverse, limit", "", engines.PrefixEnd(enc(9)), true, 3, false, "[9 8 7]"},
		{"reverse from the top", enc(5), "", true, 3, false, "[100 9 8]"},
		{"everything", "", "", false, 0, false, "[0 1 2 3 5 6 7 8 9 100]"},
		{"range excludes own insert", enc(3), enc(5), false, 0, false, "[3]"},
		{"no sources", "", "", false, 0, true, "[3 100]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := w.Overlay(tbA, tc.from, tc.to, tc.reverse, tc.limit)
			var srcs [][]KeyedRow
			if !tc.none {
				srcs = sources(tc.from, tc.to, tc.reverse)
			}
			if got := ints(o.Merge(srcs...)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	o := w.Overlay(tbA, "", "", false, 2)
	if !o.Supersedes(enc(4)) || !o.Supersedes(enc(3)) || o.Supersedes(enc(6)) || o.Supersedes(enc(5)) {
		t.Error("supersedes: own writes and deletes of this table only, not locks")
	}
	if o.SourceLimit() != 2+3 {
		t.Errorf("source limit %d, want the limit plus 3 superseded keys", o.SourceLimit())
	}
	if (&WriteSet{}).Overlay(tbA, "", "", false, 0).SourceLimit() != 0 {
		t.Error("no limit must stay no limit")
	}
}

// The property: for random write sets over random committed rows, spread
// over random sources that each return at most SourceLimit rows, the
// overlay's result is what a naive model computes — apply the writes to a
// copy of the committed rows, keep the range, sort, cut at the limit.
func TestOverlayMatchesNaiveModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 3000 {
		committed := map[int]int{}
		for range rng.IntN(30) {
			committed[rng.IntN(40)] = rng.IntN(100)
		}
		model := maps.Clone(committed)
		var w WriteSet
		for range rng.IntN(15) {
			k := rng.IntN(45)
			tb := tbA
			if rng.IntN(6) == 0 {
				tb = tbB // other table's writes must not show
			}
			switch rng.IntN(3) {
			case 0:
				v := rng.IntN(100)
				w.Put(tb, key(k), enc(k), row(k, v))
				if tb == tbA {
					model[k] = v
				}
			case 1:
				w.Delete(tb, key(k), enc(k))
				if tb == tbA {
					delete(model, k)
				}
			default:
				w.Lock(tb, key(k), enc(k))
			}
		}
		lo, hi := rng.IntN(45), rng.IntN(50)
		from, to := enc(lo), enc(hi)
		if rng.IntN(4) == 0 {
			to = ""
		}
		reverse, limit := rng.IntN(2) == 0, rng.IntN(6)
		o := w.Overlay(tbA, from, to, reverse, limit)

		nsrc := 1 + rng.IntN(3)
		srcs := make([][]KeyedRow, nsrc)
		keys := slices.Sorted(maps.Keys(committed))
		if reverse {
			slices.Reverse(keys)
		}
		for _, k := range keys {
			e := enc(k)
			if e < from || (to != "" && e >= to) {
				continue
			}
			i := k % nsrc
			if sl := o.SourceLimit(); sl == 0 || len(srcs[i]) < sl {
				srcs[i] = append(srcs[i], KeyedRow{e, row(k, committed[k])})
			}
		}
		got := o.Merge(srcs...)

		var want []string
		mk := slices.Sorted(maps.Keys(model))
		if reverse {
			slices.Reverse(mk)
		}
		for _, k := range mk {
			e := enc(k)
			if e < from || (to != "" && e >= to) {
				continue
			}
			if limit > 0 && len(want) == limit {
				break
			}
			want = append(want, fmt.Sprintf("%d=%d", k, model[k]))
		}
		var have []string
		for _, kr := range got {
			have = append(have, fmt.Sprintf("%d=%d", kr.Row[0].Int(), kr.Row[1].Int()))
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Fatalf("iteration %d (range [%d,%d) to=%q reverse %v limit %d): got %v, want %v", iter, lo, hi, to, reverse, limit, have, want)
		}
	}
}

func TestMerge(t *testing.T) {
	got := Merge(false, 0, stored(1, 4, 7), stored(2, 3), nil, stored(5))
	if ints(got) != "[1 2 3 4 5 7]" {
		t.Errorf("merge %s", ints(got))
	}
	got = Merge(true, 2, stored(7, 4, 1), stored(3, 2))
	if ints(got) != "[7 4]" {
		t.Errorf("reverse merge, limit 2: %s", ints(got))
	}
}

func TestUpdated(t *testing.T) {
	old := row(1, 10)
	got := Updated(old, []engines.Set{{Col: 1, Val: engines.Int(11)}})
	if got[1].Int() != 11 || old[1].Int() != 10 || got[0].Int() != 1 {
		t.Fatalf("updated %v from %v: want a new version, the old one untouched", got, old)
	}
}

// A version put packed reads back as its row, installs as itself, and
// counts its row's size in a Sized set, as the same row put unpacked.
func TestPackedEntries(t *testing.T) {
	tb := &engines.Table{ID: 1, Name: "t", Columns: []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: engines.TypeString}}, PrimaryKey: []int{0}}
	r := engines.Row{engines.Int(7), engines.String("seven")}
	p := engines.Pack(r)
	k := tb.KeyOf(r)
	packed, plain := WriteSet{Sized: true}, WriteSet{Sized: true}
	packed.PutPacked(tb, k, "", k.Encode(), p)
	plain.Put(tb, k, k.Encode(), r)
	got, exists, own := packed.Read(tb, k.Encode())
	if !exists || !own || len(got) != 2 || got[0].Int() != 7 || got[1].Str() != "seven" {
		t.Fatalf("read back %v (exists %v, own %v), want %v", got, exists, own, r)
	}
	if packed.Bytes() != plain.Bytes() || packed.Bytes() == 0 {
		t.Errorf("packed entry counts %d bytes, the row %d", packed.Bytes(), plain.Bytes())
	}
	for e := range packed.All() {
		if e.Pack() != p {
			t.Errorf("installs %q, want %q", e.Pack(), p)
		}
	}
	for e := range plain.All() {
		if e.Pack() != p {
			t.Errorf("a row put unpacked installs %q, want %q", e.Pack(), p)
		}
	}
}

// BenchmarkKeys: a YCSB key's row key and encoding, built at once (Keys)
// and apart (Encode, then RowKey) as the engines did.
func BenchmarkKeys(b *testing.B) {
	k := engines.Key{engines.String("user8393955769381534607")}
	b.Run("Keys", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkRK, sinkEnc = Keys(tbB, k)
		}
	})
	b.Run("apart", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkEnc = k.Encode()
			sinkRK = RowKey(tbB, sinkEnc)
		}
	})
}

var sinkRK, sinkEnc string

// BenchmarkWriteSet: a write set of one row put, read back and walked, as
// a YCSB update's.
func BenchmarkWriteSet(b *testing.B) {
	b.ReportAllocs()
	k := engines.Key{engines.String("user8393955769381534607")}
	r := engines.Row{k[0], engines.String("v")}
	for b.Loop() {
		var w WriteSet
		rk, enc := Keys(tbA, k)
		w.PutKeyed(tbA, k, rk, enc, r)
		w.Get(tbA, enc)
		for range w.All() {
		}
	}
}

// TestUnsizedWriteSetRefusesBytes: a set that is not Sized does not count
// its bytes, and asking for them is a bug that must not pass as 0.
func TestUnsizedWriteSetRefusesBytes(t *testing.T) {
	var w WriteSet
	w.Put(tbA, key(1), enc(1), row(1, 10))
	defer func() {
		if recover() == nil {
			t.Fatal("Bytes of an unsized write set did not panic")
		}
	}()
	w.Bytes()
}
