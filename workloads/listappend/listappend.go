// Package listappend is the append workload, for the isolation checker
// (bench check --workload append): each transaction reads and appends to a
// few lists, and every appended value is unique, so every read of a list
// shows the order of the versions before it (Elle's list-append). A list
// is stored as one text value, "v1,v2,..."; an append reads the list and
// writes it back one element longer, a read-modify-write, so a database
// that loses updates shows it as two lists that share a prefix.
package listappend

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/workloads/isokit"
)

func init() {
	isokit.Register(&isokit.Spec{
		Name:        "append",
		Alias:       "list-append",
		Description: "isolation checker: transactions read and append unique values to a few lists (bench check --workload append finds the anomalies the engine allows)",
		Model:       history.Append,
		Table:       "lists",
		Value:       engines.TypeString,
		Initial:     engines.String(""),
		WriteType:   "append",
		ReadType:    "read",
		Run:         run,
	})
}

// run reads each planned list; a planned append then writes it back with
// its unique value at the end.
func run(ctx context.Context, tx engines.Txn, t *engines.Table, plan []isokit.Planned, a *isokit.Attempt) error {
	for i, p := range plan {
		key := engines.Key{engines.Int(p.Key)}
		row, ok, err := tx.Get(ctx, t, key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("append: list %d is missing", p.Key)
		}
		text := row[1].Str()
		list, err := Parse(text)
		if err != nil {
			return fmt.Errorf("append: list %d: %w", p.Key, err)
		}
		a.Read(history.Op{Kind: history.OpRead, Key: p.Key, List: list})
		if !p.Write {
			continue
		}
		v := a.Write(i)
		if text != "" {
			text += ","
		}
		text += strconv.FormatInt(v, 10)
		if err := tx.Update(ctx, t, key, engines.Set{Col: 1, Val: engines.String(text)}); err != nil {
			return err
		}
	}
	return nil
}

// Parse reads a stored list.
func Parse(s string) ([]int64, error) {
	if s == "" {
		return []int64{}, nil
	}
	parts := strings.Split(s, ",")
	l := make([]int64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		l[i] = v
	}
	return l, nil
}
