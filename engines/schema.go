package engines

import (
	"errors"
	"fmt"
	"math"
)

// Schema describes a workload's tables. Workloads supply it; simulated engines
// lay out storage from it and the pg engine turns it into DDL.
type Schema struct {
	Tables []*Table
}

// Table is one SQL table.
type Table struct {
	Name    string
	Columns []Column
	// PrimaryKey lists column indexes, in key order.
	PrimaryKey []int
	// ShardKey is the column (an index into Columns, part of the primary key)
	// whose value decides placement in partitioned engines: rows with equal
	// shard keys are collocated. -1 means the first primary-key column.
	ShardKey int
	// Reference tables are small, read-mostly and copied to every shard
	// (Limitless reference tables); writing one touches every shard.
	Reference bool
	// Indexes are the table's secondary indexes.
	Indexes []Index
	// ID is the table's index in Schema.Tables, set by Schema.Validate.
	ID int
}

// Index is a secondary index: CREATE [UNIQUE] INDEX name ON t (columns).
// Its entries are ordered by Columns, then by the primary key; a unique
// index allows one row per value of Columns.
type Index struct {
	Name    string
	Columns []int
	Unique  bool
}

// Index returns the table's index with that name, or nil.
func (t *Table) Index(name string) *Index {
	for i := range t.Indexes {
		if t.Indexes[i].Name == name {
			return &t.Indexes[i]
		}
	}
	return nil
}

// Column is one typed column.
type Column struct {
	Name string
	Type Type
	// Size is the declared maximum length for strings (varchar(n)); 0 = text.
	// For decimals it is the precision p of numeric(p, s).
	Size int
	// Scale is a decimal's s in numeric(p, s): its values carry this scale.
	Scale int
	// Nullable columns may hold NULL.
	Nullable bool
}

// Table returns the named table or nil.
func (s *Schema) Table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Validate checks the schema and assigns table IDs. It returns every problem
// at once.
func (s *Schema) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, t := range s.Tables {
		t.ID = i
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("table %d: empty name", i))
		}
		if seen[t.Name] {
			errs = append(errs, fmt.Errorf("table %s: declared twice", t.Name))
		}
		seen[t.Name] = true
		if len(t.PrimaryKey) == 0 {
			errs = append(errs, fmt.Errorf("table %s: no primary key", t.Name))
		}
		for _, c := range t.PrimaryKey {
			if c < 0 || c >= len(t.Columns) {
				errs = append(errs, fmt.Errorf("table %s: primary key column %d out of range", t.Name, c))
			}
		}
		if t.ShardKey >= len(t.Columns) {
			errs = append(errs, fmt.Errorf("table %s: shard key column %d out of range", t.Name, t.ShardKey))
		}
		for _, c := range t.Columns {
			if c.Type == TypeDecimal && (c.Scale < 0 || c.Scale > MaxScale || c.Size > MaxScale || c.Size < c.Scale) {
				errs = append(errs, fmt.Errorf("table %s: column %s: numeric(%d, %d) is outside numeric(18, 18)", t.Name, c.Name, c.Size, c.Scale))
			}
		}
		names := map[string]bool{}
		for _, ix := range t.Indexes {
			if ix.Name == "" || names[ix.Name] || len(ix.Columns) == 0 {
				errs = append(errs, fmt.Errorf("table %s: index %q: needs a unique name and columns", t.Name, ix.Name))
			}
			names[ix.Name] = true
			for _, c := range ix.Columns {
				if c < 0 || c >= len(t.Columns) {
					errs = append(errs, fmt.Errorf("table %s: index %s: column %d out of range", t.Name, ix.Name, c))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Col returns the index of the named column; it panics if there is none,
// because workloads resolve column names once, at start-up.
func (t *Table) Col(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	panic(fmt.Sprintf("engines: table %s has no column %s", t.Name, name))
}

// KeyOf extracts the primary key from a full row.
func (t *Table) KeyOf(r Row) Key {
	k := make(Key, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		k[i] = r[c]
	}
	return k
}

// ShardValue returns the value that decides the row's placement, from its key.
func (t *Table) ShardValue(k Key) Value {
	col := t.ShardKey
	if col < 0 {
		col = t.PrimaryKey[0]
	}
	for i, c := range t.PrimaryKey {
		if c == col && i < len(k) {
			return k[i]
		}
	}
	return Null
}

// CheckRow reports a row that does not fit the table: wrong width, a value of
// the wrong type, or NULL in a non-nullable column.
func (t *Table) CheckRow(r Row) error {
	if len(r) != len(t.Columns) {
		return fmt.Errorf("table %s: row has %d values, table has %d columns", t.Name, len(r), len(t.Columns))
	}
	for i, v := range r {
		c := t.Columns[i]
		if v.IsNull() {
			if !c.Nullable {
				return fmt.Errorf("table %s: column %s is not nullable", t.Name, c.Name)
			}
			continue
		}
		if v.Kind() != c.Type {
			return fmt.Errorf("table %s: column %s is %s, got %s", t.Name, c.Name, c.Type, v.Kind())
		}
		if c.Type == TypeDecimal && int(v.Dec().Scale) != c.Scale {
			return fmt.Errorf("table %s: column %s has scale %d, got %s", t.Name, c.Name, c.Scale, v.Dec())
		}
	}
	return nil
}

// HashValue hashes a value's kind and contents eight bytes at a time, with
// a splitmix64 finaliser, without allocating: scans place every row they
// pass over, so this is hot. Values that are equal in SQL hash alike (-0
// and 0).
func HashValue(v Value) uint64 {
	h := uint64(v.Kind()) * 0x9e3779b97f4a7c15
	mix := func(w uint64) { h = (h ^ w) * 0xbf58476d1ce4e5b9 }
	switch v.Kind() {
	case TypeInt:
		mix(uint64(v.Int()))
	case TypeDecimal:
		d := v.Dec()
		mix(uint64(d.Units))
		mix(uint64(d.Scale))
	case TypeTimestamp:
		mix(uint64(v.Time().UnixNano()))
	case TypeFloat:
		if f := v.Float(); f != 0 {
			mix(math.Float64bits(f))
		} else {
			mix(0)
		}
	case TypeString:
		all := v.str()
		s := all
		for len(s) >= 8 {
			mix(le64(s))
			s = s[8:]
		}
		// The last len(s) < 8 bytes as a little-endian number: the string's
		// last eight bytes shifted down when it has eight (one load, not a
		// loop over bytes), else byte by byte.
		var w uint64
		if len(all) >= 8 && len(s) > 0 {
			w = le64(all[len(all)-8:]) >> (64 - 8*len(s))
		} else {
			for i := 0; i < len(s); i++ {
				w |= uint64(s[i]) << (8 * i)
			}
		}
		mix(w | uint64(len(s))<<60)
	}
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	return h ^ h>>29
}

// le64 is s's first eight bytes as a little-endian number (one load).
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// ShardValueOfRow is ShardValue for a full row, without building its key.
func (t *Table) ShardValueOfRow(r Row) Value {
	col := t.ShardKey
	if col < 0 {
		col = t.PrimaryKey[0]
	}
	return r[col]
}
