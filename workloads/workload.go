// Package workloads holds the Workload contract and the registry; each
// workload lives in its own folder (ycsb, tpcc, ...) and registers itself in
// init(), so adding one touches one folder.
package workloads

import (
	"context"
	"math/rand/v2"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/registry"
)

// Workload generates a schema, its initial rows and a stream of transactions.
// Workloads never import a concrete engine.
type Workload interface {
	// Schema describes the tables (validated by the runner).
	Schema() *engines.Schema
	// Load produces the initial population, deterministically from the seed,
	// in batches handed to load. Loading is bulk installation, not
	// transactions.
	Load(ctx context.Context, load func(ctx context.Context, t *engines.Table, rows []engines.Row) error) error
	// TxnTypes lists the transaction type names, in the order reports show them.
	TxnTypes() []string
	// NewClient returns the generator for one client. rng is the client's own
	// seeded stream, so a client's sequence of transactions depends only on
	// the seed and its id.
	NewClient(id int, rng *rand.Rand) Client
}

// Client draws logical transactions for one client.
type Client interface {
	// Next draws the next transaction. Its inputs are fixed when drawn: a
	// retry re-runs the same Txn with the same inputs.
	Next() Txn
}

// Txn is one logical transaction.
type Txn interface {
	// Type is one of the workload's TxnTypes.
	Type() string
	// ReadOnly is declared up front, so engines can use a read-only protocol.
	ReadOnly() bool
	// Run executes the transaction's statements on tx, but not its commit:
	// the runner commits (or, if Run returns an error, rolls back). Run may
	// be called several times (retries) and must give the same statements
	// for the same database state.
	Run(ctx context.Context, tx engines.Txn) error
}

// Meta registers a workload.
type Meta struct {
	Name        string
	Aliases     []string
	Description string
	// Flags registers the workload's options; options shared by several
	// workloads are added by the first and reused by the rest.
	Flags func(fs *pflag.FlagSet)
	// New builds the workload from the parsed options and the run seed.
	New func(fs *pflag.FlagSet, seed uint64) (Workload, error)
}

var entries = registry.New("workload", func(m *Meta) string { return m.Name }, func(m *Meta) []string { return m.Aliases })

// Register adds an entry; it panics on a duplicate name (a programming error).
func Register(m *Meta) { entries.Register(m) }

// Lookup finds an entry by name or alias.
func Lookup(name string) (*Meta, error) { return entries.Lookup(name) }

// All returns every entry once, sorted by name.
func All() []*Meta { return entries.All() }

// Names returns the primary names, sorted.
func Names() []string { return entries.Names() }

// RegisterFlags adds every workload's options to fs.
func RegisterFlags(fs *pflag.FlagSet) {
	for _, m := range All() {
		if m.Flags != nil {
			m.Flags(fs)
		}
	}
}
