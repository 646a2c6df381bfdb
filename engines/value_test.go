package engines

import (
	"cmp"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// compareKeys is SQL row comparison on same-typed key values (NULLs first).
func compareKeys(a, b Key) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if x.IsNull() || y.IsNull() {
			if c := cmp.Compare(boolInt(!x.IsNull()), boolInt(!y.IsNull())); c != 0 {
				return c
			}
			continue
		}
		var c int
		switch x.Kind() {
		case TypeInt:
			c = cmp.Compare(x.Int(), y.Int())
		case TypeFloat:
			c = cmp.Compare(x.Float(), y.Float())
		case TypeString:
			c = strings.Compare(x.Str(), y.Str())
		case TypeTimestamp:
			c = x.Time().Compare(y.Time())
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func randomKey(r *rand.Rand, kinds []Type) Key {
	k := make(Key, len(kinds))
	for i, t := range kinds {
		if r.IntN(10) == 0 {
			k[i] = Null
			continue
		}
		switch t {
		case TypeInt:
			if r.IntN(2) == 0 {
				// Every length of the compact encoding, both signs.
				k[i] = Int(int64(r.Uint64()) >> r.IntN(64))
				break
			}
			k[i] = Int(r.Int64N(7) - 3 + []int64{0, math.MaxInt64 - 3, math.MinInt64 + 3, 255, -256, 1 << 32}[r.IntN(6)])
		case TypeFloat:
			k[i] = Float([]float64{-1.5, math.Copysign(0, -1), 0, 2.25, math.Inf(1), math.Inf(-1), -1e300}[r.IntN(7)])
		case TypeString:
			b := make([]byte, r.IntN(4))
			for j := range b {
				b[j] = []byte{0, 1, 'a', 'b', 0xff}[r.IntN(5)]
			}
			k[i] = String(string(b))
		case TypeTimestamp:
			k[i] = Timestamp(time.Unix(r.Int64N(100)-50, 0))
		}
	}
	return k
}

// The encoding must order like SQL's row comparison, and a prefix's encoding
// must bound every key that extends it (scans by key prefix rely on both).
func TestKeyEncodingPreservesOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kinds := []Type{TypeInt, TypeString, TypeFloat, TypeTimestamp}
	for range 20000 {
		n := 1 + r.IntN(3)
		ks := make([]Type, n)
		for i := range ks {
			ks[i] = kinds[r.IntN(len(kinds))]
		}
		a, b := randomKey(r, ks), randomKey(r, ks)
		want := compareKeys(a, b)
		if got := cmp.Compare(a.Encode(), b.Encode()); got != want {
			t.Fatalf("%v vs %v: encoding compares %d, SQL %d", a, b, got, want)
		}
		prefix := a[:1].Encode()
		if !strings.HasPrefix(a.Encode(), prefix) {
			t.Fatalf("%v: prefix encoding is not a prefix", a)
		}
		if end := PrefixEnd(prefix); end != "" && a.Encode() >= end {
			t.Fatalf("%v: PrefixEnd does not bound the key", a)
		}
	}
}

// Integer key parts take only the bytes they need, and keyPartLen knows how
// many.
func TestKeyEncodingIsCompact(t *testing.T) {
	if n := len(Key{Int(1), Int(7), Int(3001), Int(12)}.Encode()); n != 9 {
		t.Errorf("a TPC-C order line's key (1, 7, 3001, 12) takes %d bytes, want 9", n)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		v := Int(int64(r.Uint64()) >> r.IntN(64))
		if n, want := keyPartLen(v), len(appendKeyPart(nil, v)); n != want || n > 9 {
			t.Fatalf("%v: keyPartLen %d, encoded %d", v, n, want)
		}
	}
}

// A string key part is its bytes with each NUL escaped as 00 ff, then
// 00 01: the encoding, written out byte by byte.
func TestStringKeyPartEscapesNUL(t *testing.T) {
	for _, s := range []string{"", "a", "\x00", "\x00\x00", "a\x00b", "ab\x00", "\x00ab", "x\x00\x00y\x00", strings.Repeat("q", 300)} {
		want := []byte{tagString}
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				want = append(want, 0, 0xff)
			} else {
				want = append(want, s[i])
			}
		}
		want = append(want, 0, 0x01)
		if got := appendKeyPart([]byte("prefix"), String(s)); string(got) != "prefix"+string(want) {
			t.Errorf("%q: encoded %q, want %q", s, got[len("prefix"):], want)
		}
		if n := keyPartLen(String(s)); n != len(want) {
			t.Errorf("%q: keyPartLen %d, encoded %d", s, n, len(want))
		}
	}
}

func TestSchemaValidationReportsEveryProblem(t *testing.T) {
	s := &Schema{Tables: []*Table{
		{Name: "a", Columns: []Column{{Name: "id", Type: TypeInt}}, PrimaryKey: []int{0}},
		{Name: "a", Columns: []Column{{Name: "id", Type: TypeInt}}},
		{Name: "", Columns: []Column{{Name: "id", Type: TypeInt}}, PrimaryKey: []int{3}},
	}}
	err := s.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"declared twice", "no primary key", "empty name", "out of range"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	tb := &Table{Name: "t", Columns: []Column{{Name: "id", Type: TypeInt}, {Name: "s", Type: TypeString, Nullable: true}}, PrimaryKey: []int{0}}
	if err := tb.CheckRow(Row{Int(1), Null}); err != nil {
		t.Error(err)
	}
	for _, bad := range []Row{{Int(1)}, {String("x"), Null}, {Null, Null}} {
		if tb.CheckRow(bad) == nil {
			t.Errorf("CheckRow accepted %v", bad)
		}
	}
	if tb.Col("s") != 1 || tb.KeyOf(Row{Int(9), Null}).String() != "(9)" || tb.ShardValue(Key{Int(9)}) != Int(9) {
		t.Error("Col/KeyOf/ShardValue")
	}
}

// Values are 16 bytes; strings keep their content, and Equal compares it
// (== would compare addresses).
func TestValueLayout(t *testing.T) {
	if s := unsafe.Sizeof(Value{}); s != 16 {
		t.Fatalf("Value is %d bytes, want 16", s)
	}
	a := String(strings.Repeat("x", 3))
	b := String(string([]byte("xxx")))
	if !a.Equal(b) || a.Str() != "xxx" || a.Kind() != TypeString || a.Size() != 3 {
		t.Fatalf("string value: %v %v", a, b)
	}
	for _, v := range []Value{Null, Int(-7), Float(2.5), String(""), String("é"), Timestamp(time.Unix(5, 6))} {
		if !v.Equal(v) || v.Equal(Int(99)) {
			t.Errorf("%v: Equal", v)
		}
	}
	if String("").Kind() != TypeString || String("").Str() != "" || Null.Kind() != TypeNull || Int(0).IsNull() {
		t.Fatal("kinds")
	}
	if Int(1).Equal(Float(math.Float64frombits(1))) {
		t.Fatal("an int equals a float with the same bits")
	}
}

// TestKeyString checks a key's SQL-like text, which names contended rows
// in results: each value as Value.String formats it, comma-separated, in
// parentheses.
func TestKeyString(t *testing.T) {
	long := strings.Repeat("x", 80) + "\"\n"
	for _, c := range []struct {
		k    Key
		want string
	}{
		{Key{}, "()"},
		{Key{Int(-42)}, "(-42)"},
		{Key{String("user1")}, `("user1")`},
		{Key{Int(3), String("a'b\x00"), Null}, `(3, "a'b\x00", NULL)`},
		{Key{Float(1.5), DecimalValue(Dec(1234, 2))}, "(1.5, 12.34)"},
		{Key{Timestamp(time.Unix(0, 5).UTC())}, "(1970-01-01T00:00:00.000000005Z)"},
		{Key{String(long), Int(7)}, "(" + strconv.Quote(long) + ", 7)"},
	} {
		if got := c.k.String(); got != c.want {
			t.Errorf("%v: String() = %s, want %s", []Value(c.k), got, c.want)
		}
	}
}

// TestAppendQuotedIsStrconv checks the copy-through quoting against
// strconv.Quote for every byte value alone and inside a key-like string,
// and for multi-byte UTF-8 and invalid sequences.
func TestAppendQuotedIsStrconv(t *testing.T) {
	var cases []string
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "user"+string([]byte{byte(c)})+"42")
	}
	cases = append(cases, "", "user8393955769381534607", "é", "日本", "\xff\xfe", "tab\there", strings.Repeat("a", 300))
	for _, s := range cases {
		if got, want := string(appendQuoted([]byte("x"), s)), "x"+strconv.Quote(s); got != want {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	}
}
