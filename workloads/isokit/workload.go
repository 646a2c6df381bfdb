package isokit

import (
	"context"
	"math/rand/v2"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/workloads"
)

// Spec is what an isolation workload adds to the shared parts: its name,
// its table's value, its data model, and the statements of one attempt.
type Spec struct {
	Name, Alias, Description string
	Model                    history.Model
	Table                    string
	Value                    engines.Type  // the value column's type
	Initial                  engines.Value // every key's initial value
	// WriteType and ReadType name transactions that write and read-only
	// ones.
	WriteType, ReadType string
	// Run executes one attempt of plan on tx, recording into a.
	Run func(ctx context.Context, tx engines.Txn, t *engines.Table, plan []Planned, a *Attempt) error
}

// Register registers spec as a workload.
func Register(spec *Spec) {
	workloads.Register(&workloads.Meta{
		Name:        spec.Name,
		Aliases:     []string{spec.Alias},
		Description: spec.Description,
		Configure: func(s *option.Set) workloads.Builder {
			o := DefaultOptions()
			o.Declare(s)
			return func(uint64) (workloads.Workload, error) { return New(spec, o), nil }
		},
	})
}

// Workload is an isolation workload built from a Spec.
type Workload struct {
	spec   *Spec
	o      Options
	ks     *Keyspace
	table  *engines.Table
	schema *engines.Schema
}

// New builds the workload.
func New(spec *Spec, o Options) *Workload {
	t := Table(spec.Table, spec.Value)
	return &Workload{spec: spec, o: o, ks: NewKeyspace(o), table: t, schema: &engines.Schema{Tables: []*engines.Table{t}}}
}

func (w *Workload) Schema() *engines.Schema     { return w.schema }
func (w *Workload) TxnTypes() []string          { return []string{w.spec.WriteType, w.spec.ReadType} }
func (w *Workload) HistoryModel() history.Model { return w.spec.Model }

// Load installs every key of the pool with the initial value.
func (w *Workload) Load(ctx context.Context, load func(context.Context, *engines.Table, []engines.Row) error) error {
	const batch = 10000
	for lo := 0; lo < w.o.Pool; lo += batch {
		rows := make([]engines.Row, 0, min(batch, w.o.Pool-lo))
		for k := lo; k < lo+cap(rows); k++ {
			rows = append(rows, engines.Row{engines.Int(int64(k)), w.spec.Initial})
		}
		if err := load(ctx, w.table, rows); err != nil {
			return err
		}
	}
	return nil
}

// NewClient draws the client's transactions.
func (w *Workload) NewClient(id int, rng *rand.Rand) workloads.Client {
	return &client{w: w, c: NewClient(w.ks, id, rng)}
}

type client struct {
	w *Workload
	c *Client
}

func (c *client) Next() workloads.Txn {
	p := c.c.Plan()
	return &txn{w: c.w, c: c.c, plan: p, ro: ReadOnly(p)}
}

type txn struct {
	w    *Workload
	c    *Client
	plan []Planned
	ro   bool
}

func (t *txn) Type() string {
	if t.ro {
		return t.w.spec.ReadType
	}
	return t.w.spec.WriteType
}
func (t *txn) ReadOnly() bool { return t.ro }

// NewAttempt starts the record of the next attempt (workloads.Recorded).
func (t *txn) NewAttempt() workloads.AttemptRecord {
	kind := history.OpWrite
	if t.w.spec.Model == history.Append {
		kind = history.OpAppend
	}
	return t.c.Begin(t.plan, kind)
}

// Run executes the workload's statements, recording into the attempt's
// record when the runner keeps a history (a record of its own otherwise).
func (t *txn) Run(ctx context.Context, tx engines.Txn) error {
	a, ok := workloads.AttemptFrom(ctx).(*Attempt)
	if !ok {
		a = t.NewAttempt().(*Attempt)
	}
	return t.w.spec.Run(ctx, tx, t.w.table, t.plan, a)
}
