package engines

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Type is a column's SQL type. The set is deliberately small: it is what the
// workloads need and what maps one-to-one onto PostgreSQL types.
type Type uint8

const (
	TypeNull      Type = iota // only as a Value's kind: SQL NULL
	TypeInt                   // bigint
	TypeFloat                 // double precision
	TypeString                // text / varchar
	TypeTimestamp             // timestamp (microsecond precision in SQL)
	TypeDecimal               // numeric(p, s): exact fixed point (money)
)

func (t Type) String() string {
	switch t {
	case TypeNull:
		return "null"
	case TypeInt:
		return "int"
	case TypeFloat:
		return "float"
	case TypeString:
		return "string"
	case TypeTimestamp:
		return "timestamp"
	case TypeDecimal:
		return "decimal"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Value is one typed SQL value, in 16 bytes: the simulator keeps millions
// of rows (a TPC-C warehouse is half a million), so a row is one allocation
// of 16 bytes per column.
//
// p is nil for NULL; for a non-empty string it points at the string's bytes
// and n is the length (the pointer keeps the bytes alive for the garbage
// collector); for the other kinds, and the empty string, p points at a
// static marker naming the kind and n holds the int64 bits, float64 bits or
// unix nanoseconds. Compare values with Equal: == compares a string's
// address, not its content.
type Value struct {
	p unsafe.Pointer
	n uint64
}

// The markers' addresses name the kinds whose values are not string bytes:
// marks[t] for kind t (marks[TypeString] is the empty string), and
// marks[decMarks+scale] a decimal of that scale. One array, so that Kind
// tells a marker from string bytes with one comparison of the address.
const decMarks = 5

var marks [decMarks + MaxScale + 1]byte

// markKinds[i] is the kind marks[i] names.
var markKinds = func() (k [len(marks)]Type) {
	for i := range k {
		k[i] = min(Type(i), TypeDecimal)
	}
	return k
}()

func mark(t Type) unsafe.Pointer { return unsafe.Pointer(&marks[t]) }

// decMark is the marker of a decimal of the given scale.
func decMark(scale int) unsafe.Pointer { return unsafe.Pointer(&marks[decMarks+scale]) }

// isDec reports whether p is a decimal marker, and its scale.
func isDec(p unsafe.Pointer) (int, bool) {
	off := uintptr(p) - uintptr(unsafe.Pointer(&marks[decMarks]))
	return int(off), off <= MaxScale
}

// Null is SQL NULL.
var Null = Value{}

func Int(v int64) Value     { return Value{p: mark(TypeInt), n: uint64(v)} }
func Float(v float64) Value { return Value{p: mark(TypeFloat), n: math.Float64bits(v)} }
func String(v string) Value {
	if v == "" {
		return Value{p: mark(TypeString)}
	}
	return Value{p: unsafe.Pointer(unsafe.StringData(v)), n: uint64(len(v))}
}
func Timestamp(t time.Time) Value { return Value{p: mark(TypeTimestamp), n: uint64(t.UnixNano())} }

// DecimalValue is an exact decimal value.
func DecimalValue(d Decimal) Value {
	return Value{p: decMark(int(d.Scale)), n: uint64(d.Units)}
}

// Kind returns the value's type. Strings are most values (every YCSB
// field), so they are told first: an address outside marks that is not
// nil (a switch over the markers compared it with each in turn).
func (v Value) Kind() Type {
	if off := uintptr(v.p) - uintptr(unsafe.Pointer(&marks[0])); off < uintptr(len(marks)) {
		return markKinds[off]
	}
	if v.p == nil {
		return TypeNull
	}
	return TypeString
}

func (v Value) IsNull() bool { return v.p == nil }

// Int returns the value as an int64; it panics on another kind, which is a
// workload bug, not a runtime condition.
func (v Value) Int() int64 {
	v.must(TypeInt)
	return int64(v.n)
}
func (v Value) Float() float64 {
	v.must(TypeFloat)
	return math.Float64frombits(v.n)
}
func (v Value) Str() string {
	v.must(TypeString)
	return v.str()
}
func (v Value) Dec() Decimal {
	s, ok := isDec(v.p)
	if !ok {
		v.must(TypeDecimal)
	}
	return Decimal{Units: int64(v.n), Scale: uint8(s)}
}
func (v Value) Time() time.Time {
	v.must(TypeTimestamp)
	return time.Unix(0, int64(v.n)).UTC()
}

// str is the string content of a string value.
func (v Value) str() string {
	if v.p == mark(TypeString) {
		return ""
	}
	return unsafe.String((*byte)(v.p), int(v.n))
}

func (v Value) must(t Type) {
	if k := v.Kind(); k != t {
		panic(fmt.Sprintf("engines: value of kind %s used as %s", k, t))
	}
}

// Size is the value's approximate stored size in bytes, used for the
// per-transaction size limits engines enforce.
func (v Value) Size() int {
	switch v.Kind() {
	case TypeNull:
		return 1
	case TypeString:
		return len(v.str())
	}
	return 8
}

// Any returns the value as a plain Go value (nil, int64, float64, string,
// time.Time or Decimal), which is what database drivers accept (a Decimal
// once the driver is taught it).
func (v Value) Any() any {
	switch v.Kind() {
	case TypeInt:
		return v.Int()
	case TypeFloat:
		return v.Float()
	case TypeString:
		return v.str()
	case TypeTimestamp:
		return v.Time()
	case TypeDecimal:
		return v.Dec()
	}
	return nil
}

func (v Value) String() string {
	switch v.Kind() {
	case TypeNull:
		return "NULL"
	case TypeInt:
		return strconv.FormatInt(v.Int(), 10)
	case TypeFloat:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case TypeString:
		return strconv.Quote(v.str())
	case TypeTimestamp:
		return v.Time().Format(time.RFC3339Nano)
	case TypeDecimal:
		return v.Dec().String()
	}
	return "?"
}

// Equal reports whether two values are the same SQL value (NULL equals NULL
// here: this is for tests and checks, not three-valued logic).
func (v Value) Equal(o Value) bool {
	if v.Kind() == TypeString && o.Kind() == TypeString {
		return v.str() == o.str()
	}
	return v == o
}

// Row is one row: values in the table's column order.
type Row []Value

// Clone returns a copy that can be modified without touching the original
// (stored versions are immutable).
func (r Row) Clone() Row { return append(Row(nil), r...) }

// Size is the row's approximate stored size in bytes.
func (r Row) Size() int {
	n := 0
	for _, v := range r {
		n += v.Size()
	}
	return n
}

// Key is a primary key: the values of the key columns in key order. A Key
// shorter than the table's primary key is a prefix (used for scan bounds).
type Key []Value

// Encode returns an order-preserving byte encoding of the key: for keys of the
// same table, bytes.Compare on encodings orders like SQL's row comparison on
// the key columns, and the encoding of a prefix is a prefix of the encoding of
// every key that extends it.
//
// Integers (and timestamps and decimals) take a tag and only the bytes they
// need: a TPC-C order line's key (w, d, o, number) is 10 bytes, not 36.
// The tag says the sign and the length, so a longer positive number sorts
// after a shorter one, a longer negative one before.
func (k Key) Encode() string {
	return BytesString(k.AppendEncoded(make([]byte, 0, k.EncodedLen())))
}

// EncodedLen is len(k.Encode()).
func (k Key) EncodedLen() int {
	n := 0
	for _, v := range k {
		n += keyPartLen(v)
	}
	return n
}

// AppendEncoded appends k.Encode() to b.
func (k Key) AppendEncoded(b []byte) []byte {
	for _, v := range k {
		b = appendKeyPart(b, v)
	}
	return b
}

// Key part tags order NULL first, like PostgreSQL's NULLS FIRST for ASC.
// An integer's tag is tagZero+n for a non-negative one of n bytes (0 is
// tagZero alone), tagZero-1-n for a negative one whose complement takes n
// bytes (-1 is tagZero-1 alone).
const (
	tagNull   = 0x01
	tagZero   = 0x0c // tags 0x03..0x14 are integers
	tagFloat  = 0x15
	tagString = 0x16
)

func appendKeyPart(b []byte, v Value) []byte {
	switch v.Kind() {
	case TypeNull:
		return append(b, tagNull)
	case TypeInt, TypeTimestamp, TypeDecimal:
		// Decimals order correctly against decimals of the same scale,
		// which is what a key column (one declared scale) holds.
		x := int64(v.n)
		if x >= 0 {
			n := numberLen(uint64(x))
			b = append(b, byte(tagZero+n))
			for i := n - 1; i >= 0; i-- {
				b = append(b, byte(x>>(8*i)))
			}
			return b
		}
		c := uint64(^x) // >= 0: the larger c, the smaller x
		n := numberLen(c)
		b = append(b, byte(tagZero-1-n))
		for i := n - 1; i >= 0; i-- {
			b = append(b, ^byte(c>>(8*i)))
		}
		return b
	case TypeFloat:
		f := v.n
		if f == 1<<63 {
			f = 0 // -0 equals 0 in SQL, so it must encode the same
		}
		if f&(1<<63) != 0 {
			f = ^f
		} else {
			f |= 1 << 63
		}
		b = append(b, tagFloat)
		return binary.BigEndian.AppendUint64(b, f)
	case TypeString:
		b = append(b, tagString)
		// The bytes up to each NUL in one append (most strings have none:
		// byte by byte was 5% of loading YCSB's rows).
		str := v.str()
		for {
			i := strings.IndexByte(str, 0)
			if i < 0 {
				break
			}
			b = append(append(b, str[:i]...), 0, 0xff)
			str = str[i+1:]
		}
		return append(append(b, str...), 0, 0x01)
	}
	panic("engines: unknown value kind in key")
}

// PrefixEnd returns the smallest encoding greater than every encoding that
// starts with enc: the exclusive upper bound of a prefix scan.
func PrefixEnd(enc string) string {
	b := []byte(enc)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "" // no upper bound
}

// String formats a key like a SQL row constructor: (1, 'x'). It is built
// in one buffer, one allocation for a key of a few short values: engines
// name the contended row of every conflict abort with it (2pc's wounds
// made a tenth of a YCSB-A run's allocations formatting keys).
func (k Key) String() string {
	var buf [64]byte
	b := append(buf[:0], '(')
	for i, v := range k {
		if i > 0 {
			b = append(b, ", "...)
		}
		switch v.Kind() {
		case TypeInt:
			b = strconv.AppendInt(b, v.Int(), 10)
		case TypeString:
			b = appendQuoted(b, v.str())
		default:
			b = append(b, v.String()...)
		}
	}
	return string(append(b, ')'))
}

// appendQuoted is strconv.AppendQuote, with the bytes copied as they are
// when quoting changes none of them (printable ASCII, no quote or
// backslash): every abort names its key, and quoting a YCSB key rune by
// rune was ~1.3% of a 2pc YCSB-A run's instructions (2,000 a key).
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
