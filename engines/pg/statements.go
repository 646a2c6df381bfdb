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
	many      map[string]string // set-oriented statements, by shape
	keys      *engines.Table    // the key columns alone
}

func newTableSQL(t *engines.Table) *tableSQL {
	s := &tableSQL{t: t, updates: map[string]string{}, many: map[string]string{}}
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
