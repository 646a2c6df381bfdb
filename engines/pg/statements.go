package pg

import (
	"fmt"
	"strings"
	"sync"

	"github.com/txbench/txbench/engines"
)

// tableSQL holds one table's statement texts. pgx prepares each distinct
// text once per connection and reuses it (its statement cache), so these
// are prepared statements without explicit PREPARE calls.
type tableSQL struct {
	mu        sync.Mutex // guards the lazily filled updates and scans
	t         *engines.Table
	cols      string // every column, in order
	keyCols   []string
	get       string
	getForUpd string
	insert    string
	delete    string
	updates   map[string]string // by the set of assigned columns
	scans     map[scanShape]string
}

type scanShape struct {
	start, end     int
	endInclusive   bool
	reverse, limit bool
}

func newTableSQL(t *engines.Table) *tableSQL {
	s := &tableSQL{t: t, updates: map[string]string{}, scans: map[scanShape]string{}}
	var cols, ph []string
	for i, c := range t.Columns {
		cols = append(cols, ident(c.Name))
		ph = append(ph, fmt.Sprintf("$%d", i+1))
	}
	for _, c := range t.PrimaryKey {
		s.keyCols = append(s.keyCols, ident(t.Columns[c].Name))
	}
	s.cols = strings.Join(cols, ", ")
	name := ident(t.Name)
	where := s.keyWhere(1)
	s.get = fmt.Sprintf("SELECT %s FROM %s WHERE %s", s.cols, name, where)
	s.getForUpd = s.get + " FOR UPDATE"
	// ON CONFLICT DO NOTHING reports a duplicate as zero rows instead of an
	// error that would abort the whole PostgreSQL transaction.
	s.insert = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT DO NOTHING", name, s.cols, strings.Join(ph, ", "))
	s.delete = fmt.Sprintf("DELETE FROM %s WHERE %s", name, where)
	return s
}

// keyWhere is "k1 = $n AND k2 = $n+1 ...".
func (s *tableSQL) keyWhere(first int) string {
	var parts []string
	for i, k := range s.keyCols {
		parts = append(parts, fmt.Sprintf("%s = $%d", k, first+i))
	}
	return strings.Join(parts, " AND ")
}

func (s *tableSQL) update(sets []engines.Set) string {
	var b strings.Builder
	for _, st := range sets {
		fmt.Fprintf(&b, "%d,", st.Col)
	}
	shape := b.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.updates[shape]; ok {
		return q
	}
	var assign []string
	for i, st := range sets {
		assign = append(assign, fmt.Sprintf("%s = $%d", ident(s.t.Columns[st.Col].Name), i+1))
	}
	q := fmt.Sprintf("UPDATE %s SET %s WHERE %s", ident(s.t.Name), strings.Join(assign, ", "), s.keyWhere(len(sets)+1))
	s.updates[shape] = q
	return q
}

// scan builds a row-comparison range query: (k1, k2) >= ($1, $2) AND
// (k1) < ($3) ORDER BY k1, k2 [DESC] LIMIT $4 — the SQL form of a key
// range with prefix bounds.
func (s *tableSQL) scan(spec engines.ScanSpec) string {
	shape := scanShape{len(spec.Start), len(spec.End), spec.EndInclusivePrefix, spec.Reverse, spec.Limit > 0}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.scans[shape]; ok {
		return q
	}
	var conds []string
	n := 1
	tuple := func(m int) (string, string) {
		var ph []string
		for i := range m {
			ph = append(ph, fmt.Sprintf("$%d", n+i))
		}
		n += m
		return "(" + strings.Join(s.keyCols[:m], ", ") + ")", "(" + strings.Join(ph, ", ") + ")"
	}
	if shape.start > 0 {
		c, p := tuple(shape.start)
		conds = append(conds, c+" >= "+p)
	}
	if shape.end > 0 {
		c, p := tuple(shape.end)
		op := " < "
		if shape.endInclusive {
			op = " <= "
		}
		conds = append(conds, c+op+p)
	}
	q := fmt.Sprintf("SELECT %s FROM %s", s.cols, ident(s.t.Name))
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	dir := ""
	if shape.reverse {
		dir = " DESC"
	}
	var order []string
	for _, k := range s.keyCols {
		order = append(order, k+dir)
	}
	q += " ORDER BY " + strings.Join(order, ", ")
	if shape.limit {
		q += fmt.Sprintf(" LIMIT $%d", n)
	}
	s.scans[shape] = q
	return q
}
