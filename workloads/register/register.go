// Package register is the register workload, for the isolation checker
// (bench check --workload register): each transaction reads registers and
// blindly writes unique values to others (Elle's rw-register). Version
// order is recoverable only in part (a fresh key's initial value comes
// first; a transaction that reads a key and then writes it orders the two
// values), so it finds fewer anomalies than append, with cheaper
// operations.
package register

import (
	"context"
	"fmt"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/workloads/isokit"
)

func init() {
	isokit.Register(&isokit.Spec{
		Name:        "register",
		Alias:       "rw-register",
		Description: "isolation checker: transactions read registers and blindly write unique values (bench check --workload register)",
		Model:       history.Register,
		Table:       "registers",
		Value:       engines.TypeInt,
		Initial:     engines.Int(0),
		WriteType:   "write",
		ReadType:    "read",
		Run:         run,
	})
}

// run reads or blindly writes each planned register.
func run(ctx context.Context, tx engines.Txn, t *engines.Table, plan []isokit.Planned, a *isokit.Attempt) error {
	for i, p := range plan {
		key := engines.Key{engines.Int(p.Key)}
		if p.Write {
			if err := tx.Update(ctx, t, key, engines.Set{Col: 1, Val: engines.Int(a.Write(i))}); err != nil {
				return err
			}
			continue
		}
		row, ok, err := tx.Get(ctx, t, key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("register: key %d is missing", p.Key)
		}
		a.Read(history.Op{Kind: history.OpRead, Key: p.Key, Value: row[1].Int()})
	}
	return nil
}
