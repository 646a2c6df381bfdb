package pg

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/txbench/txbench/engines"
)

// sqlType maps a column to its PostgreSQL type.
func sqlType(c engines.Column) string {
	switch c.Type {
	case engines.TypeInt:
		return "bigint"
	case engines.TypeFloat:
		return "double precision"
	case engines.TypeTimestamp:
		return "timestamp"
	case engines.TypeDecimal:
		return fmt.Sprintf("numeric(%d, %d)", c.Size, c.Scale)
	case engines.TypeString:
		if c.Size > 0 {
			return fmt.Sprintf("varchar(%d)", c.Size)
		}
		return "text"
	}
	panic("pg: unknown column type " + c.Type.String())
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// DDL returns the CREATE TABLE and CREATE INDEX statements for a schema.
// Key and indexed columns of string type use COLLATE "C": byte order, which
// is the order the workloads' scans and the simulator assume, whatever the
// database's locale.
func DDL(s *engines.Schema) []string {
	var out []string
	for _, t := range s.Tables {
		inKey := map[int]bool{}
		for _, c := range t.PrimaryKey {
			inKey[c] = true
		}
		for _, ix := range t.Indexes {
			for _, c := range ix.Columns {
				inKey[c] = true
			}
		}
		var cols []string
		for i, c := range t.Columns {
			def := ident(c.Name) + " " + sqlType(c)
			if inKey[i] && c.Type == engines.TypeString {
				def += ` COLLATE "C"`
			}
			if !c.Nullable {
				def += " NOT NULL"
			}
			cols = append(cols, def)
		}
		var key []string
		for _, c := range t.PrimaryKey {
			key = append(key, ident(t.Columns[c].Name))
		}
		cols = append(cols, "PRIMARY KEY ("+strings.Join(key, ", ")+")")
		out = append(out, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n  %s\n)", ident(t.Name), strings.Join(cols, ",\n  ")))
		for _, ix := range t.Indexes {
			var on []string
			for _, c := range ix.Columns {
				on = append(on, ident(t.Columns[c].Name))
			}
			unique := ""
			if ix.Unique {
				unique = "UNIQUE "
			} else {
				// Entries are ordered by the columns, then the key (the
				// contract's index order), so ORDER BY both needs no sort.
				for _, c := range t.PrimaryKey {
					if !slices.Contains(ix.Columns, c) {
						on = append(on, ident(t.Columns[c].Name))
					}
				}
			}
			out = append(out, fmt.Sprintf("CREATE %sINDEX IF NOT EXISTS %s ON %s (%s)", unique,
				ident(t.Name+"_"+ix.Name), ident(t.Name), strings.Join(on, ", ")))
		}
	}
	return out
}
