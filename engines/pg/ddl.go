package pg

import (
	"fmt"
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
	case engines.TypeString:
		if c.Size > 0 {
			return fmt.Sprintf("varchar(%d)", c.Size)
		}
		return "text"
	}
	panic("pg: unknown column type " + c.Type.String())
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// DDL returns the CREATE TABLE statements for a schema. Key columns of string
// type use COLLATE "C": byte order, which is the order the workloads' scans
// and the simulator assume, whatever the database's locale.
func DDL(s *engines.Schema) []string {
	var out []string
	for _, t := range s.Tables {
		inKey := map[int]bool{}
		for _, c := range t.PrimaryKey {
			inKey[c] = true
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
	}
	return out
}
