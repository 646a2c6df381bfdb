package pg

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/txbench/txbench/engines"
)

// The set-oriented statement forms (engines.SetTxn), each one SQL
// statement. Many keys travel as one array per key column and join
// through unnest(), so a statement's text does not depend on how many keys
// it has: pgx prepares it once per connection.

// KeepsIndexes: PostgreSQL keeps the schema's secondary indexes (CREATE INDEX).
func (e *Engine) KeepsIndexes() {}

// arg converts a value to what pgx encodes: decimals as numeric.
func arg(v engines.Value) any {
	if v.Kind() == engines.TypeDecimal {
		d := v.Dec()
		return pgtype.Numeric{Int: big.NewInt(d.Units), Exp: -int32(d.Scale), Valid: true}
	}
	return v.Any()
}

// arrayType is the SQL array type of a column's values.
func arrayType(c engines.Column) string {
	switch c.Type {
	case engines.TypeInt:
		return "bigint[]"
	case engines.TypeString:
		return "text[]"
	case engines.TypeTimestamp:
		return "timestamp[]"
	case engines.TypeDecimal:
		return "numeric[]"
	case engines.TypeFloat:
		return "float8[]"
	}
	panic("pg: no array type for " + c.Type.String())
}

// column builds the array argument of one column from n values.
func column(c engines.Column, n int, val func(i int) engines.Value) (any, error) {
	switch c.Type {
	case engines.TypeInt:
		a := make([]int64, n)
		for i := range a {
			v := val(i)
			if v.Kind() != engines.TypeInt {
				return nil, fmt.Errorf("pg: column %s: %s in a many-row statement", c.Name, v)
			}
			a[i] = v.Int()
		}
		return a, nil
	case engines.TypeString:
		a := make([]string, n)
		for i := range a {
			v := val(i)
			if v.Kind() != engines.TypeString {
				return nil, fmt.Errorf("pg: column %s: %s in a many-row statement", c.Name, v)
			}
			a[i] = v.Str()
		}
		return a, nil
	}
	a := make([]any, n)
	for i := range a {
		if a[i] = arg(val(i)); a[i] == nil {
			return nil, fmt.Errorf("pg: column %s: NULL in a many-row statement", c.Name)
		}
	}
	return a, nil
}

// keyArrays is one array per key column.
func (s *tableSQL) keyArrays(keys []engines.Key) ([]any, error) {
	out := make([]any, len(s.t.PrimaryKey))
	for j, c := range s.t.PrimaryKey {
		var err error
		if out[j], err = column(s.t.Columns[c], len(keys), func(i int) engines.Value { return keys[i][j] }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unnest is "unnest($n::t1[], ...) AS v(k1, ...)" over the key columns
// followed by extra columns.
func (s *tableSQL) unnest(first int, extra []engines.Column, extraNames []string) string {
	var arrs, names []string
	for i, c := range s.t.PrimaryKey {
		arrs = append(arrs, fmt.Sprintf("$%d::%s", first+i, arrayType(s.t.Columns[c])))
		names = append(names, fmt.Sprintf("k%d", i))
	}
	for i, c := range extra {
		arrs = append(arrs, fmt.Sprintf("$%d::%s", first+len(s.t.PrimaryKey)+i, arrayType(c)))
		names = append(names, extraNames[i])
	}
	return fmt.Sprintf("unnest(%s) AS v(%s)", strings.Join(arrs, ", "), strings.Join(names, ", "))
}

// joinKeys is "t.k1 = v.k0 AND ...".
func (s *tableSQL) joinKeys() string {
	var parts []string
	for i, k := range s.keyCols {
		parts = append(parts, fmt.Sprintf("t.%s = v.k%d", k, i))
	}
	return strings.Join(parts, " AND ")
}

// where is " AND col op $n ..." for a predicate, its arguments after first.
func (s *tableSQL) where(conds []engines.Cond, first int) string {
	var b strings.Builder
	for i, c := range conds {
		fmt.Fprintf(&b, " AND t.%s %s $%d", ident(s.t.Columns[c.Col].Name), c.Op.SQL(), first+i)
	}
	return b.String()
}

func condShape(conds []engines.Cond) string {
	var b strings.Builder
	for _, c := range conds {
		fmt.Fprintf(&b, "%d%s,", c.Col, c.Op.SQL())
	}
	return b.String()
}

// cached returns the statement text for shape, building it once.
func (s *tableSQL) cached(shape string, build func() string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.many[shape]; ok {
		return q
	}
	q := build()
	s.many[shape] = q
	return q
}

func (s *tableSQL) tcols() string {
	cols := make([]string, len(s.t.Columns))
	for i, c := range s.t.Columns {
		cols[i] = "t." + ident(c.Name)
	}
	return strings.Join(cols, ", ")
}

func (s *tableSQL) order(prefix string, desc bool) string {
	dir := ""
	if desc {
		dir = " DESC"
	}
	var out []string
	for _, k := range s.keyCols {
		out = append(out, prefix+k+dir)
	}
	return strings.Join(out, ", ")
}

func (t *txn) GetMany(ctx context.Context, tb *engines.Table, keys []engines.Key, o engines.ReadOpts) ([]engines.Row, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if o.ForUpdate && t.ro {
		return nil, engines.ErrReadOnly
	}
	s := t.sql(tb)
	args, err := s.keyArrays(keys)
	if err != nil {
		return nil, err
	}
	for _, c := range o.Where {
		args = append(args, arg(c.Val))
	}
	q := s.cached(fmt.Sprintf("get/%v/%s", o.ForUpdate, condShape(o.Where)), func() string {
		nk := len(s.keyCols)
		q := fmt.Sprintf("SELECT %s FROM %s t WHERE (%s) IN (SELECT * FROM %s)%s ORDER BY %s",
			s.tcols(), ident(tb.Name), s.order("t.", false), s.unnest(1, nil, nil), s.where(o.Where, nk+1), s.order("t.", false))
		if o.ForUpdate {
			q += " FOR UPDATE"
		}
		return q
	})
	return t.rows(ctx, q, args, tb)
}

// rows runs a query and decodes its rows as tb's.
func (t *txn) rows(ctx context.Context, q string, args []any, tb *engines.Table) ([]engines.Row, error) {
	db, err := t.use()
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, t.abort(ctx, err)
	}
	got, err := collect(rows, tb)
	if err != nil {
		return nil, t.abort(ctx, err)
	}
	return got, nil
}

// UpdateMany is one UPDATE: for one key, by its key; for many, joined with
// the keys and the per-row values as arrays (UPDATE ... FROM unnest(...)).
// A value that is the same for every row is one parameter.
func (t *txn) UpdateMany(ctx context.Context, tb *engines.Table, ups []engines.KeyUpdate, returning bool) (int, []engines.Row, error) {
	if len(ups) == 0 {
		return 0, nil, nil
	}
	if t.ro {
		return 0, nil, engines.ErrReadOnly
	}
	s := t.sql(tb)
	first := ups[0]
	same := make([]bool, len(first.Assigns))
	for j := range first.Assigns {
		same[j] = true
		for _, u := range ups[1:] {
			if !u.Assigns[j].Val.Equal(first.Assigns[j].Val) {
				same[j] = false
				break
			}
		}
	}
	var shape strings.Builder
	fmt.Fprintf(&shape, "upd/%v/%v/", len(ups) == 1, returning)
	for j, a := range first.Assigns {
		fmt.Fprintf(&shape, "%d:%d:%v,", a.Col, a.Op, same[j])
	}
	var args []any
	if len(ups) == 1 {
		for _, a := range first.Assigns {
			args = append(args, arg(a.Val))
		}
		args = append(args, keyArgs(first.Key)...)
	} else {
		keys := make([]engines.Key, len(ups))
		for i, u := range ups {
			keys[i] = u.Key
		}
		ka, err := s.keyArrays(keys)
		if err != nil {
			return 0, nil, err
		}
		args = ka
		for j, a := range first.Assigns {
			if !same[j] {
				col, err := column(tb.Columns[a.Col], len(ups), func(i int) engines.Value { return ups[i].Assigns[j].Val })
				if err != nil {
					return 0, nil, err
				}
				args = append(args, col)
			}
		}
		for j, a := range first.Assigns {
			if same[j] {
				args = append(args, arg(a.Val))
			}
		}
	}
	q := s.cached(shape.String(), func() string { return s.updateSQL(first.Assigns, same, len(ups) == 1, returning) })
	if returning {
		rows, err := t.rows(ctx, q, args, tb)
		return len(rows), rows, err
	}
	db, err := t.use()
	if err != nil {
		return 0, nil, err
	}
	tag, err := db.Exec(ctx, q, args...)
	if err != nil {
		return 0, nil, t.abort(ctx, err)
	}
	return int(tag.RowsAffected()), nil, nil
}

func (s *tableSQL) updateSQL(as []engines.Assign, same []bool, single, returning bool) string {
	name := ident(s.t.Name)
	var sets []string
	rhs := func(a engines.Assign, v string) string {
		col := ident(s.t.Columns[a.Col].Name)
		if a.Op == engines.AssignAdd {
			return fmt.Sprintf("%s = t.%s + %s", col, col, v)
		}
		return fmt.Sprintf("%s = %s", col, v)
	}
	var q string
	if single {
		for i, a := range as {
			sets = append(sets, rhs(a, fmt.Sprintf("$%d", i+1)))
		}
		var where []string
		for i, k := range s.keyCols {
			where = append(where, fmt.Sprintf("t.%s = $%d", k, len(as)+1+i))
		}
		q = fmt.Sprintf("UPDATE %s t SET %s WHERE %s", name, strings.Join(sets, ", "), strings.Join(where, " AND "))
	} else {
		var extra []engines.Column
		var names []string
		for j, a := range as {
			if !same[j] {
				extra = append(extra, s.t.Columns[a.Col])
				names = append(names, fmt.Sprintf("a%d", j))
			}
		}
		n := len(s.keyCols) + len(extra) + 1
		for j, a := range as {
			if same[j] {
				sets = append(sets, rhs(a, fmt.Sprintf("$%d", n)))
				n++
			} else {
				sets = append(sets, rhs(a, fmt.Sprintf("v.a%d", j)))
			}
		}
		q = fmt.Sprintf("UPDATE %s t SET %s FROM %s WHERE %s", name, strings.Join(sets, ", "), s.unnest(1, extra, names), s.joinKeys())
	}
	if returning {
		q = fmt.Sprintf("WITH u AS (%s RETURNING %s) SELECT * FROM u ORDER BY %s", q, s.tcols(), s.order("", false))
	}
	return q
}

func (t *txn) DeleteMany(ctx context.Context, tb *engines.Table, keys []engines.Key) ([]engines.Key, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if t.ro {
		return nil, engines.ErrReadOnly
	}
	s := t.sql(tb)
	args, err := s.keyArrays(keys)
	if err != nil {
		return nil, err
	}
	q := s.cached("delete", func() string {
		var ret []string
		for _, k := range s.keyCols {
			ret = append(ret, "t."+k)
		}
		return fmt.Sprintf("DELETE FROM %s t USING %s WHERE %s RETURNING %s",
			ident(tb.Name), s.unnest(1, nil, nil), s.joinKeys(), strings.Join(ret, ", "))
	})
	rows, err := t.rows(ctx, q, args, s.keyTable())
	if err != nil {
		return nil, err
	}
	out := make([]engines.Key, len(rows))
	for i, r := range rows {
		out[i] = engines.Key(r)
	}
	return engines.SortKeys(out, nil), nil
}

// keyTable describes the key columns alone (what DELETE ... RETURNING
// key gives back).
func (s *tableSQL) keyTable() *engines.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		k := &engines.Table{Name: s.t.Name}
		for _, c := range s.t.PrimaryKey {
			k.Columns = append(k.Columns, s.t.Columns[c])
		}
		s.keys = k
	}
	return s.keys
}

// InsertMany is one INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING:
// a duplicate key (or unique index entry) skips its row.
func (t *txn) InsertMany(ctx context.Context, tb *engines.Table, rows []engines.Row) error {
	if len(rows) == 0 {
		return nil
	}
	args := make([]any, 0, len(rows)*len(tb.Columns))
	for _, r := range rows {
		if err := tb.CheckRow(r); err != nil {
			return err
		}
		for _, v := range r {
			args = append(args, arg(v))
		}
	}
	s := t.sql(tb)
	q := s.cached(fmt.Sprintf("insert/%d", len(rows)), func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", ident(tb.Name), s.cols)
		n := 1
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range tb.Columns {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", n)
				n++
			}
			b.WriteByte(')')
		}
		b.WriteString(" ON CONFLICT DO NOTHING")
		return b.String()
	})
	db, err := t.use()
	if err != nil {
		return err
	}
	if t.ro {
		return engines.ErrReadOnly
	}
	tag, err := db.Exec(ctx, q, args...)
	if err != nil {
		return t.abort(ctx, err)
	}
	if int(tag.RowsAffected()) < len(rows) {
		return engines.ErrDuplicateKey
	}
	return nil
}

// Query is one SELECT over a key range of the primary key or of an index,
// with the predicate, order and limit in SQL.
func (t *txn) Query(ctx context.Context, tb *engines.Table, q engines.Query) ([]engines.Row, error) {
	s := t.sql(tb)
	var on []string // the columns the range and the order are on
	if q.Index == "" {
		on = s.keyCols
	} else {
		ix := tb.Index(q.Index)
		if ix == nil {
			return nil, fmt.Errorf("pg: table %s has no index %q", tb.Name, q.Index)
		}
		for _, c := range ix.Columns {
			on = append(on, ident(tb.Columns[c].Name))
		}
		for _, k := range s.keyCols {
			if !containsStr(on, k) {
				on = append(on, k)
			}
		}
	}
	if len(q.Start) > len(on) || len(q.End) > len(on) {
		return nil, fmt.Errorf("pg: table %s: query bound longer than its columns", tb.Name)
	}
	// The bounds' common prefix is equalities (what the planner matches to
	// an index best); the rest are row comparisons.
	eq := 0
	if len(q.Start) > 0 && len(q.End) > 0 {
		for eq < len(q.Start) && eq < len(q.End) && q.Start[eq].Equal(q.End[eq]) {
			eq++
		}
		if eq == len(q.End) && !q.EndInclusivePrefix {
			eq-- // [x, x): keep the exclusive comparison
		}
	}
	args := make([]any, 0, len(q.Start)+len(q.End)+len(q.Where)+1)
	for _, v := range q.Start {
		args = append(args, arg(v))
	}
	for _, v := range q.End[eq:] {
		args = append(args, arg(v))
	}
	for _, c := range q.Where {
		args = append(args, arg(c.Val))
	}
	if q.Limit > 0 {
		args = append(args, q.Limit)
	}
	shape := fmt.Sprintf("query/%s/%d/%d/%d/%v/%v/%v/%s", q.Index, eq, len(q.Start), len(q.End), q.EndInclusivePrefix, q.Reverse, q.Limit > 0, condShape(q.Where))
	text := s.cached(shape, func() string {
		var conds []string
		n := 1
		for i := range eq {
			conds = append(conds, fmt.Sprintf("t.%s = $%d", on[i], n))
			n++
		}
		tuple := func(from, to int) (string, string) {
			var cs, ph []string
			for i := from; i < to; i++ {
				cs = append(cs, "t."+on[i])
				ph = append(ph, fmt.Sprintf("$%d", n))
				n++
			}
			return "(" + strings.Join(cs, ", ") + ")", "(" + strings.Join(ph, ", ") + ")"
		}
		if len(q.Start) > eq {
			c, p := tuple(eq, len(q.Start))
			conds = append(conds, c+" >= "+p)
		}
		if len(q.End) > eq {
			c, p := tuple(eq, len(q.End))
			op := " < "
			if q.EndInclusivePrefix {
				op = " <= "
			}
			conds = append(conds, c+op+p)
		}
		sql := fmt.Sprintf("SELECT %s FROM %s t", s.tcols(), ident(tb.Name))
		if len(conds) > 0 {
			sql += " WHERE " + strings.Join(conds, " AND ")
		} else if len(q.Where) > 0 {
			sql += " WHERE true"
		}
		sql += s.where(q.Where, n)
		n += len(q.Where)
		dir := ""
		if q.Reverse {
			dir = " DESC"
		}
		var order []string
		for _, c := range on {
			order = append(order, "t."+c+dir)
		}
		sql += " ORDER BY " + strings.Join(order, ", ")
		if q.Limit > 0 {
			sql += fmt.Sprintf(" LIMIT $%d", n)
		}
		return sql
	})
	return t.rows(ctx, text, args, tb)
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// decodeNumeric reads PostgreSQL's binary numeric (base-10000 digits)
// into a decimal of the column's scale; ok is false for NaN, infinities or
// a value that does not fit.
func decodeNumeric(b []byte, scale int) (engines.Value, bool) {
	if len(b) < 8 {
		return engines.Null, false
	}
	n := int(binaryBE.Uint16(b))
	weight := int(int16(binaryBE.Uint16(b[2:])))
	sign := binaryBE.Uint16(b[4:])
	if sign != 0 && sign != 0x4000 || len(b) != 8+2*n {
		return engines.Null, false
	}
	var units int64
	for i := range n {
		d := int64(binaryBE.Uint16(b[8+2*i:]))
		p := 4*(weight-i) + scale
		switch {
		case p > 18:
			return engines.Null, false
		case p >= 0:
			units += d * pow10i(p)
		case p > -4:
			units += d / pow10i(-p)
		}
	}
	if sign == 0x4000 {
		units = -units
	}
	return engines.DecimalValue(engines.Dec(units, scale)), true
}

func pow10i(p int) int64 {
	r := int64(1)
	for range p {
		r *= 10
	}
	return r
}

// numericValue converts pgx's decoded numeric (the slow path).
func numericValue(x pgtype.Numeric, c engines.Column) (engines.Value, error) {
	if !x.Valid {
		return engines.Null, nil
	}
	f, err := x.Value()
	if err != nil {
		return engines.Null, err
	}
	d, err := engines.ParseDecimal(fmt.Sprint(f), c.Scale)
	return engines.DecimalValue(d), err
}
