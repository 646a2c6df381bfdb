// Package bank is a correctness workload: transfers between accounts, whose
// total balance must never change. Each transfer reads two balances and
// writes both back (no SELECT ... FOR UPDATE), so an engine or isolation
// level that lets an update be lost creates or destroys money, and the
// consistency check (bench check --workload bank) shows it. Snapshot
// isolation and serializability keep the total; read committed does not.
package bank

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/workloads"
)

func init() {
	workloads.Register(&workloads.Meta{
		Name:        "bank",
		Description: "correctness: transfers between accounts (read both balances, write both back); the total must not change (bench check --workload bank)",
		Configure: func(s *option.Set) workloads.Builder {
			o := DefaultOptions()
			o.Declare(s)
			return func(uint64) (workloads.Workload, error) { return New(o) }
		},
	})
}

// Options configure the workload.
type Options struct {
	Accounts int   // accounts loaded
	Balance  int64 // each account's initial balance
	Transfer int64 // a transfer moves 1..Transfer
}

// DefaultOptions are the documented defaults.
func DefaultOptions() Options { return Options{Accounts: 100, Balance: 1000, Transfer: 10} }

// Declare declares the options, bound to o's fields.
func (o *Options) Declare(s *option.Set) {
	s.Int(&o.Accounts, "bank-accounts", 2, 1<<24, "accounts (fewer accounts, more conflicts)").WithUnit("accounts").ChangesData()
	s.Int64(&o.Balance, "bank-balance", 0, 1<<40, "initial balance of every account").ChangesData()
	s.Int64(&o.Transfer, "bank-transfer", 1, 1<<40, "a transfer moves a uniform 1..this amount")
}

// Validate checks the options against their declarations.
func (o Options) Validate() error {
	s := option.NewSet("workload bank")
	o.Declare(s)
	return s.Check()
}

// Workload is the bank.
type Workload struct {
	o      Options
	schema *engines.Schema
	table  *engines.Table
}

// New builds the workload.
func New(o Options) (*Workload, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	t := &engines.Table{
		Name: "account",
		// Money is exact: numeric(15, 2), amounts in whole units.
		Columns:    []engines.Column{{Name: "id", Type: engines.TypeInt}, {Name: "balance", Type: engines.TypeDecimal, Size: 15, Scale: 2}},
		PrimaryKey: []int{0},
		ShardKey:   -1,
	}
	return &Workload{o: o, schema: &engines.Schema{Tables: []*engines.Table{t}}, table: t}, nil
}

func (w *Workload) Schema() *engines.Schema { return w.schema }
func (w *Workload) TxnTypes() []string      { return []string{"transfer"} }

// Load gives every account the same balance.
func (w *Workload) Load(ctx context.Context, load func(context.Context, *engines.Table, []engines.Row) error) error {
	rows := make([]engines.Row, w.o.Accounts)
	for i := range rows {
		rows[i] = engines.Row{engines.Int(int64(i)), money(w.o.Balance * 100)}
	}
	return load(ctx, w.table, rows)
}

// NewClient draws transfers between two distinct accounts.
func (w *Workload) NewClient(id int, rng *rand.Rand) workloads.Client {
	return &client{w: w, rng: rng}
}

type client struct {
	w   *Workload
	rng *rand.Rand
}

func (c *client) Next() workloads.Txn {
	n := c.w.o.Accounts
	from := c.rng.IntN(n)
	to := (from + 1 + c.rng.IntN(n-1)) % n
	return &transfer{w: c.w, from: int64(from), to: int64(to), amount: 1 + c.rng.Int64N(c.w.o.Transfer)}
}

type transfer struct {
	w        *Workload
	from, to int64
	amount   int64
}

func (t *transfer) Type() string   { return "transfer" }
func (t *transfer) ReadOnly() bool { return false }

// Run reads both balances and writes both back: a read-modify-write that
// only an isolation level preventing lost updates keeps correct. A transfer
// that would overdraw moves nothing (and still commits).
func (t *transfer) Run(ctx context.Context, tx engines.Txn) error {
	tb := t.w.table
	balance := func(id int64) (int64, error) {
		r, ok, err := tx.Get(ctx, tb, engines.Key{engines.Int(id)})
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, fmt.Errorf("bank: account %d is missing", id)
		}
		return r[1].Dec().Units, nil // cents
	}
	from, err := balance(t.from)
	if err != nil {
		return err
	}
	to, err := balance(t.to)
	if err != nil {
		return err
	}
	amount := t.amount * 100
	if from < amount {
		return nil
	}
	if err := tx.Update(ctx, tb, engines.Key{engines.Int(t.from)}, engines.Set{Col: 1, Val: money(from - amount)}); err != nil {
		return err
	}
	return tx.Update(ctx, tb, engines.Key{engines.Int(t.to)}, engines.Set{Col: 1, Val: money(to + amount)})
}

// Check implements workloads.Checker: the total balance is what was
// loaded, and no account is negative.
func (w *Workload) Check(ctx context.Context, sess engines.Session) ([]workloads.CheckResult, error) {
	tx, err := sess.Begin(ctx, engines.TxnOptions{Type: "check", ReadOnly: true})
	if err != nil {
		return nil, err
	}
	rows, err := tx.Scan(ctx, w.table, engines.ScanSpec{})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	var total int64
	negative := 0
	for _, r := range rows {
		b := r[1].Dec().Units // cents, compared exactly
		total += b
		if b < 0 {
			negative++
		}
	}
	want := int64(w.o.Accounts) * w.o.Balance * 100
	dec := func(c int64) string { return engines.Dec(c, 2).String() }
	conserved := workloads.CheckResult{Name: "total", Rule: "sum(balance) = accounts × initial balance", Status: workloads.CheckPass,
		Detail: fmt.Sprintf("total %s over %d accounts", dec(total), len(rows))}
	if total != want || len(rows) != w.o.Accounts {
		conserved.Status = workloads.CheckFail
		conserved.Detail = fmt.Sprintf("total %s, want %s (%s: lost updates) over %d accounts", dec(total), dec(want), dec(total-want), len(rows))
	}
	overdrawn := workloads.CheckResult{Name: "no-overdraft", Rule: "every balance >= 0", Status: workloads.CheckPass,
		Detail: fmt.Sprintf("checked %d accounts", len(rows))}
	if negative > 0 {
		overdrawn.Status = workloads.CheckFail
		overdrawn.Detail = fmt.Sprintf("%d accounts below zero", negative)
	}
	return []workloads.CheckResult{conserved, overdrawn}, nil
}

// money is an amount in cents as the balance column's decimal.
func money(cents int64) engines.Value { return engines.DecimalValue(engines.Dec(cents, 2)) }
