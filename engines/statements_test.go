package engines

import (
	"slices"
	"testing"
)

// sortByKey orders rows by primary key and drops nils; distinct keeps only
// the first row of each key (GetMany: a key asked for twice is read once),
// whichever of the key's rows sorts where.
func TestSortByKey(t *testing.T) {
	tb := &Table{Name: "t", Columns: []Column{{Name: "k", Type: TypeInt}, {Name: "v", Type: TypeInt}}, PrimaryKey: []int{0}}
	row := func(k, v int64) Row { return Row{Int(k), Int(v)} }
	rows := []Row{row(3, 1), nil, row(1, 2), row(3, 3), row(2, 4), row(1, 5), nil, row(3, 6)}
	tests := []struct {
		distinct bool
		want     []Row
	}{
		{true, []Row{row(1, 2), row(2, 4), row(3, 1)}},
		{false, nil}, // every non-nil row, in key order (checked below)
	}
	for _, tc := range tests {
		got := sortByKey(tb, slices.Clone(rows), tc.distinct)
		if tc.distinct {
			if !slices.EqualFunc(got, tc.want, func(a, b Row) bool { return slices.Equal(a, b) }) {
				t.Errorf("distinct: got %v, want %v", got, tc.want)
			}
			continue
		}
		if len(got) != 6 || !slices.IsSortedFunc(got, func(a, b Row) int { return int(a[0].Int() - b[0].Int()) }) {
			t.Errorf("all: got %v, want the 6 rows in key order", got)
		}
	}
}
