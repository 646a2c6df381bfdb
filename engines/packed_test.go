package engines

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// Every kind of value, at its edges, comes back from a packed row as the
// same SQL value of the same kind and size.
func TestPackedRoundTrip(t *testing.T) {
	rows := []Row{
		nil,
		{},
		{Null},
		{Int(0), Int(1), Int(-1), Int(255), Int(256), Int(math.MaxInt64), Int(math.MinInt64)},
		{Float(0), Float(math.Copysign(0, -1)), Float(1.5), Float(-3e300), Float(math.Inf(1)), Float(math.SmallestNonzeroFloat64)},
		{String(""), String("a"), String(strings.Repeat("x", 30)), String(strings.Repeat("y", 31)), String(strings.Repeat("z", 500)), String("nul\x00byte")},
		{Timestamp(time.Date(2026, 11, 29, 12, 0, 0, 123456789, time.UTC)), Timestamp(time.Unix(0, 0)), Timestamp(time.Unix(-5, 0))},
		{DecimalValue(Decimal{Units: -1000, Scale: 2}), DecimalValue(Decimal{Units: 0, Scale: 0}), DecimalValue(Decimal{Units: math.MaxInt64, Scale: MaxScale}), DecimalValue(Decimal{Units: 7, Scale: 4})},
		{Int(3), Null, String("mixed"), DecimalValue(Decimal{Units: 12345, Scale: 2}), Null},
	}
	// RowInto unpacks into a buffer large enough (whatever it held: a
	// NULL must not keep its old value) and else into a new Row.
	dirty := func(n int) Row {
		d := make(Row, n)
		for i := range d {
			d[i] = String("dirty")
		}
		return d
	}
	for _, r := range rows {
		big, small := dirty(len(r)+1), dirty(max(len(r)-1, 0))
		for _, u := range []struct {
			name string
			row  func(Packed) Row
		}{
			{"Row", Packed.Row},
			{"RowInto a large buffer", func(p Packed) Row { return p.RowInto(big) }},
			{"RowInto a small buffer", func(p Packed) Row { return p.RowInto(small) }},
		} {
			got := u.row(Pack(r))
			if (r == nil) != (got == nil) || len(got) != len(r) {
				t.Fatalf("%s %v: got %v", u.name, r, got)
			}
			for i := range r {
				if got[i].Kind() != r[i].Kind() || !got[i].Equal(r[i]) || got[i].String() != r[i].String() {
					t.Errorf("%s %v: value %d is %v (%s), want %v (%s)", u.name, r, i, got[i], got[i].Kind(), r[i], r[i].Kind())
				}
			}
			if got.Size() != r.Size() || Pack(r).Size() != r.Size() {
				t.Errorf("%s %v: size %d, packed %d, want %d", u.name, r, got.Size(), Pack(r).Size(), r.Size())
			}
		}
		if r != nil && unsafe.SliceData(Pack(r).RowInto(big)) != unsafe.SliceData(big) {
			t.Errorf("%v: RowInto did not use a buffer large enough", r)
		}
	}
	// -0.0 keeps its sign bit: a float comes back bit for bit.
	if got := Pack(Row{Float(math.Copysign(0, -1))}).Row()[0].Float(); !math.Signbit(got) {
		t.Errorf("-0 lost its sign")
	}
}

// A packed row costs about its data: a small number is two bytes, a
// string its length and a tag.
func TestPackedIsCompact(t *testing.T) {
	r := Row{Int(3001), Int(7), Int(10), Int(12), Int(99999), Int(10), Null, Int(5), DecimalValue(Decimal{Units: 123456, Scale: 2}), String(strings.Repeat("d", 24))}
	if n := len(Pack(r)); n > 50 {
		t.Errorf("an order line packs into %d bytes, want at most 50 (16 bytes a value as a Row: %d)", n, 16*len(r))
	}
}

// PackKeyed gives the key Encode gives, and the packed row.
func TestPackKeyed(t *testing.T) {
	tb := &Table{Name: "t", Columns: []Column{{Name: "a", Type: TypeInt}, {Name: "b", Type: TypeString}, {Name: "c", Type: TypeInt}}, PrimaryKey: []int{2, 0}}
	// Short and long: a row too long for packScratch is sized first.
	for _, r := range []Row{{Int(-4), String("bee"), Int(9)}, {Int(-4), String(strings.Repeat("b", packScratch)), Int(9)}} {
		key, p := tb.PackKeyed(r)
		if key != tb.KeyOf(r).Encode() {
			t.Errorf("key %q, want %q", key, tb.KeyOf(r).Encode())
		}
		if p != Pack(r) || p != Packed(AppendPacked(nil, r)) {
			t.Errorf("packed %q, want %q", p, AppendPacked(nil, r))
		}
		// One allocation: the packed row follows the key's bytes.
		if unsafe.Add(unsafe.Pointer(unsafe.StringData(key)), len(key)) != unsafe.Pointer(unsafe.StringData(string(p))) {
			t.Error("the key and the packed row are not one allocation")
		}
		// The long row's first try grew the scratch buffer (garbage).
		if a := testing.AllocsPerRun(10, func() { tb.PackKeyed(r) }); a > 2 || a == 2 && len(p) < packScratch {
			t.Errorf("PackKeyed of a %d-byte row allocates %v times", len(p), a)
		}
	}
}

// The sizes Pack and PackKeyed allocate are exact: a packed row keeps its
// whole allocation alive.
func TestPackedSizesAreExact(t *testing.T) {
	r := Row{Int(-1 << 40), Null, String(strings.Repeat("q", 200)), String(""), String("a\x00b"), Float(2.5), DecimalValue(Decimal{Units: -77, Scale: 3}), Timestamp(time.Unix(1e9, 5))}
	if n, want := packedSize(r, shared.set.Load()), len(AppendPacked(nil, r)); n != want {
		t.Errorf("packedSize %d, packed %d", n, want)
	}
	for _, v := range r {
		if n, want := keyPartLen(v), len(appendKeyPart(nil, v)); n != want {
			t.Errorf("%v: keyPartLen %d, encoded %d", v, n, want)
		}
	}
}

// A substring of a shared pool packs as a reference (a few bytes, not its
// length) and reads back as the same bytes; the same text outside the pool,
// and substrings too short to gain, pack as bytes.
func TestPackedSharedStrings(t *testing.T) {
	pool := ShareStrings(strings.Repeat("0123456789abcdefghij", 500) + "shared-test-pool")
	long, short, tail := pool[9000:9400], pool[17:19], pool[len(pool)-40:]
	outside := strings.Clone(long)
	r := Row{Int(1), String(long), String(short), String(outside), Null, String(tail), String(pool[40:70])}
	p := Pack(r)
	if n, want := len(p), len(Pack(Row{Int(1), String(""), String(short), String(outside), Null, String(""), String("")})); n > want+3*8 {
		t.Errorf("a row of three pool substrings packs into %d bytes, want at most %d", n, want+3*8)
	}
	got := p.Row()
	for i := range r {
		if !got[i].Equal(r[i]) || got[i].Kind() != r[i].Kind() {
			t.Errorf("value %d is %v, want %v", i, got[i], r[i])
		}
	}
	if unsafe.StringData(got[1].Str()) != unsafe.StringData(long) {
		t.Error("a pool substring does not read back as the pool's bytes")
	}
	if n, want := packedSize(r, shared.set.Load()), len(p); n != want {
		t.Errorf("packedSize %d, packed %d", n, want)
	}
	if again := ShareStrings(strings.Clone(pool)); unsafe.StringData(again) != unsafe.StringData(pool) {
		t.Error("a pool with the same content was registered twice")
	}
}

// BenchmarkPackKeyed packs a YCSB row (a 23-byte key and ten 100-byte
// values from a shared pool) and a TPC-C-like row of numbers and short
// strings, as a load does for every row.
func BenchmarkPackKeyed(b *testing.B) {
	pool := ShareStrings(strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 2000))
	ycsb := &Table{Name: "usertable", Columns: []Column{{Name: "k", Type: TypeString}}, PrimaryKey: []int{0}}
	r := Row{String("user6284781860667377211")}
	for i := range 10 {
		r = append(r, String(pool[i*6151:i*6151+100]))
	}
	b.Run("ycsb", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ycsb.PackKeyed(r)
		}
	})
	line := &Table{Name: "order_line", Columns: []Column{{Name: "w", Type: TypeInt}, {Name: "d", Type: TypeInt}, {Name: "o", Type: TypeInt}, {Name: "n", Type: TypeInt}}, PrimaryKey: []int{0, 1, 2, 3}}
	ol := Row{Int(1), Int(7), Int(2999), Int(12), Int(45123), Int(1), Null, Int(5), DecimalValue(Decimal{Units: 123456, Scale: 2}), String(pool[77:101])}
	b.Run("tpcc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			line.PackKeyed(ol)
		}
	})
}

// Patch writes exactly the bytes Pack writes for the updated row, for
// every kind of value in the row and in the sets (a set may change a
// column's kind, name a column twice, or make the row longer than the
// encoding buffer), PatchAssigns the same for assignments that set and
// nothing for an addition, and a set of a column the row lacks panics as
// the assignment would.
func TestPatchIsPackOfTheUpdatedRow(t *testing.T) {
	pool := ShareStrings(strings.Repeat("patch-test-pool/", 400))
	vals := []Value{
		Null, Int(0), Int(-1), Int(math.MaxInt64), Float(-2.5), String(""), String("a"), String("nul\x00"),
		String(strings.Repeat("x", 31)), String(strings.Repeat("y", 300)), String(pool[100:200]), String(pool[3:5]),
		Timestamp(time.Unix(1e9, 7)), DecimalValue(Decimal{Units: -123, Scale: 2}),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		r := make(Row, 1+rng.IntN(8))
		for i := range r {
			r[i] = vals[rng.IntN(len(vals))]
		}
		sets := make([]Set, rng.IntN(4))
		for i := range sets {
			sets[i] = Set{Col: rng.IntN(len(r)), Val: vals[rng.IntN(len(vals))]}
		}
		want := r.Clone()
		for _, s := range sets {
			want[s.Col] = s.Val
		}
		if got, w := Pack(r).Patch(sets), Pack(want); got != w {
			t.Fatalf("%v with %v: patched %q, packed %q", r, sets, got, w)
		}
		if n := Pack(want).Size(); n != want.Size() {
			t.Fatalf("%v: packed size %d, want %d", want, n, want.Size())
		}
		as := make([]Assign, len(sets))
		for i, s := range sets {
			as[i] = Assign{Col: s.Col, Val: s.Val}
		}
		if got, ok := Pack(r).PatchAssigns(as); !ok || got != Pack(want) {
			t.Fatalf("%v with %v: assignments patched %q (%v), packed %q", r, as, got, ok, Pack(want))
		}
	}
	if _, ok := Pack(Row{Int(1)}).PatchAssigns([]Assign{{Col: 0, Op: AssignAdd, Val: Int(1)}}); ok {
		t.Error("PatchAssigns patched an addition")
	}
	defer func() {
		if recover() == nil {
			t.Error("a set of a column past the row's end did not panic")
		}
	}()
	Pack(Row{Int(1)}).Patch([]Set{{Col: 1, Val: Int(2)}})
}

// appendUvarint writes binary's varint at every length's edges.
func TestAppendUvarintIsBinarys(t *testing.T) {
	for shift := range 64 {
		for _, x := range []uint64{1<<shift - 1, 1 << shift, 1<<shift + 1} {
			if got, want := appendUvarint([]byte{9}, x), binary.AppendUvarint([]byte{9}, x); string(got) != string(want) {
				t.Fatalf("%d: % x, want % x", x, got, want)
			}
		}
	}
}

// appendPacked writes what a plain encoder written from the format's
// description writes (refOf for the pool test, binary's varints), for rows
// mixing strings of several pools — one of them longer than 2 MiB, so
// offsets take up to four bytes — with strings outside any pool, strings
// running past a pool's end, lengths at the one- and two-byte edges, and
// every other kind: the pool tried first (the row's last) never changes a
// byte.
func TestPackedIsThePlainEncoding(t *testing.T) {
	big := ShareStrings(strings.Repeat("0123456789-big-pool/", 160_000))
	small := ShareStrings(strings.Repeat("small-pool.", 300))
	other := strings.Repeat("not in a pool ", 100)
	set := shared.set.Load()
	plain := func(r Row) []byte {
		b := binary.AppendUvarint(nil, uint64(len(r)))
		for _, v := range r {
			switch k := v.Kind(); k {
			case TypeNull:
				b = append(b, byte(TypeNull))
			case TypeString:
				id, off, _, ok := set.refOf(v)
				kind := byte(TypeString)
				if ok {
					kind = packedShared
				}
				if v.n < packedInline {
					b = append(b, byte(v.n)<<packedTagLen|kind)
				} else {
					b = binary.AppendUvarint(append(b, packedInline<<packedTagLen|kind), v.n)
				}
				if ok {
					b = binary.AppendUvarint(binary.AppendUvarint(b, uint64(id)), off)
				} else {
					b = append(b, v.Str()...)
				}
			case TypeFloat:
				b = appendPackedNumber(b, k, v.n)
			default:
				b = appendPackedNumber(b, k, zigzag(v.n))
				if k == TypeDecimal {
					s, _ := isDec(v.p)
					b = append(b, byte(s))
				}
			}
		}
		return b
	}
	rng := rand.New(rand.NewPCG(3, 4))
	sub := func(pool string) Value {
		n := []int{0, 1, 2, 5, 30, 31, 100, 127, 128, 300}[rng.IntN(10)]
		at := rng.IntN(len(pool) + 1)
		if rng.IntN(8) == 0 {
			at = len(pool) - rng.IntN(n+1) // up to the end, or not all of it
		}
		if at+n > len(pool) {
			// past the end: the pool's tail and more, a string of its own
			return String(pool[at:] + strings.Repeat("z", at+n-len(pool)))
		}
		return String(pool[at : at+n])
	}
	vals := []func() Value{
		func() Value { return sub(big) }, func() Value { return sub(big) }, func() Value { return sub(small) },
		func() Value { return sub(other) }, func() Value { return Null }, func() Value { return Int(rng.Int64() >> rng.IntN(64)) },
		func() Value { return Float(rng.Float64()) }, func() Value { return DecimalValue(Decimal{Units: rng.Int64N(1e9), Scale: uint8(rng.IntN(5))}) },
		func() Value { return Timestamp(time.Unix(0, rng.Int64())) },
	}
	for range 20_000 {
		r := make(Row, 1+rng.IntN(12))
		for i := range r {
			r[i] = vals[rng.IntN(len(vals))]()
		}
		if got, want := AppendPacked([]byte{7}, r), append([]byte{7}, plain(r)...); string(got) != string(want) {
			t.Fatalf("%v: packed % x\nwant % x", r, got, want)
		}
	}
}
