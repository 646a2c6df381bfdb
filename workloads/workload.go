// Package workloads holds the Workload contract and the registry; each
// workload lives in its own folder (ycsb, tpcc, ...) and registers itself in
// init(), so adding one touches one folder.
package workloads

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/internal/option"
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

// Recycler is implemented by workloads whose Load can refill the batches
// an engine is done with instead of allocating new ones (a load of 100,000
// YCSB rows handed over 20 MB of batches, most of the fresh memory a run
// touched).
type Recycler interface {
	// LoadRecycling is Load, with batches coming back: the runner sends
	// the rows of a batch load accepted on done once the engine is done
	// with them (it copies what it stores, engines.Copier), in the order
	// load was given them. A batch that came back is the workload's again,
	// rows, values and the bytes of their strings, to overwrite; a batch
	// not back yet is the engine's. Batches need not come back (the runner
	// drops what done has no room for), and a Load that never receives
	// from done must still be correct.
	LoadRecycling(ctx context.Context, load func(ctx context.Context, t *engines.Table, rows []engines.Row) error, done <-chan []engines.Row) error
}

// PackedLoader is implemented by workloads that can pack their initial
// rows themselves (engines.RowBuilder) for an engine that stores rows
// packed (engines.PackedLoader): the engine then stores exactly what Load's
// rows would have become, for a fraction of the work.
type PackedLoader interface {
	// LoadsPacked reports whether this configuration can (else Load is used).
	LoadsPacked() bool
	// LoadPacked is Load with the rows packed. Batches sent back on done
	// (their rows handed over, the slices free again) may be refilled, as
	// Recycler's are; done may be nil.
	LoadPacked(ctx context.Context, load func(ctx context.Context, t *engines.Table, rows []engines.PackedRow) error, done <-chan []engines.PackedRow) error
}

// Client draws logical transactions for one client.
type Client interface {
	// Next draws the next transaction. Its inputs are fixed when drawn: a
	// retry re-runs the same Txn with the same inputs.
	Next() Txn
}

// Releaser is implemented by clients that reuse a transaction's record:
// the runner calls Release(t) once it is done with t — every attempt of
// it has returned and none was cut off by a timeout (a cut-off attempt
// runs on, unseen) — and a later Next may then return the same record.
// What t handed to an engine must not be reused with it (an engine may
// keep a statement's key, a row or an argument past the statement).
type Releaser interface {
	Release(t Txn)
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

// Paced is implemented by transactions that carry their own keying and think
// times, as TPC-C's terminals do (clause 5.2.5: per type, keying before the
// transaction, think time after it). A closed-loop client sleeps keying
// before the transaction's intended start (response time counts from after
// it) and think after it, both in addition to --think. Open loops ignore
// them: arrivals set the pace there.
type Paced interface {
	Pacing() (keying, think time.Duration)
}

// Reporter is implemented by workloads that define figures of their own
// beyond the runner's per-type ones (TPC-C's tpmC and efficiency) and facts
// worth keeping with the results (e.g. that a run is not compliant with the
// benchmark's rules).
type Reporter interface {
	// Metrics computes the workload's figures from the measured counts per
	// transaction type and the measured duration.
	Metrics(byType map[string]TypeCounts, measured time.Duration) []Metric
	// Notes are one-line facts for the results file's notes.
	Notes() []string
}

// TypeCounts are the measured figures of one transaction type.
type TypeCounts struct {
	Committed int64
	Failed    int64 // transactions given up
	// Aborts counts aborted attempts by reason (e.g. "user-rollback").
	Aborts map[string]int64
}

// Metric is one workload-defined figure, e.g. {"tpmC", 12.5, "txn/min"}.
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// Checker is implemented by workloads whose data must satisfy invariants
// (TPC-C's consistency conditions, a bank's total balance).
type Checker interface {
	// Check reads the database through sess, in read-only transactions,
	// and evaluates every condition; a failing condition does not stop the
	// others. The error is for a check that could not run (a read failed).
	Check(ctx context.Context, sess engines.Session) ([]CheckResult, error)
}

// CheckStatus is the outcome of one condition.
type CheckStatus string

const (
	CheckPass    CheckStatus = "pass"
	CheckFail    CheckStatus = "FAIL"
	CheckSkipped CheckStatus = "skipped" // the condition does not apply to this state
)

// CheckResult is one evaluated condition.
type CheckResult struct {
	Name   string // e.g. "3.3.2.1"
	Rule   string // what it states, e.g. "W_YTD = sum(D_YTD)"
	Status CheckStatus
	// Detail says what was evaluated, the first violations, or why the
	// condition was skipped.
	Detail string
}

// SingleStatement is implemented by transactions that can declare they
// consist of exactly one statement (YCSB's core operations). Engines may run
// such a transaction as an implicit, autocommit transaction at the same
// isolation level — one round trip instead of BEGIN, statement, COMMIT —
// which is also how drivers such as pgbench -S run them.
type SingleStatement interface {
	SingleStatement() bool
}

// Historied is implemented by workloads whose transactions report what
// they read and wrote (Recorded), so that a run's history can be checked
// for isolation anomalies (bench check --workload append|register). The
// model says how the values are to be read.
type Historied interface {
	HistoryModel() history.Model
}

// Recorded is implemented by the transactions of a Historied workload.
// Before each attempt the runner calls NewAttempt and hands the record to
// Run through the context (WithAttempt), so that an attempt always writes
// into its own record — also one a timeout cut off, which may go on
// running in the simulation while the retry runs — and reads it back with
// Ops when the attempt is over.
type Recorded interface {
	NewAttempt() AttemptRecord
}

// AttemptRecord is what one attempt did: Ops returns its operations in
// order, reads with the values they returned and writes as issued (a write
// is recorded before its statement runs), followed by the writes it planned
// but had not issued yet (an attempt whose outcome is unknown may still
// issue them).
type AttemptRecord interface {
	Ops() []history.Op
}

type attemptKey struct{}

// WithAttempt carries an attempt's record to the transaction's Run.
func WithAttempt(ctx context.Context, r AttemptRecord) context.Context {
	return context.WithValue(ctx, attemptKey{}, r)
}

// AttemptFrom returns the record WithAttempt put in ctx, or nil.
func AttemptFrom(ctx context.Context) AttemptRecord {
	r, _ := ctx.Value(attemptKey{}).(AttemptRecord)
	return r
}

type oneShotKey struct{}

// WithOneShot marks ctx as a one-shot transaction's (bench run
// --one-shot): the engine runs it as one request, and the transaction may
// write without reading first where its logic allows (a YCSB update).
func WithOneShot(ctx context.Context) context.Context {
	return context.WithValue(ctx, oneShotKey{}, true)
}

// OneShot reports whether ctx is a one-shot transaction's.
func OneShot(ctx context.Context) bool {
	v, _ := ctx.Value(oneShotKey{}).(bool)
	return v
}

// Partitioned is implemented by workloads that can split their data among
// several processes driving one database (bench run --partition i/n): after
// SetPartition, Load produces only partition i's share (plus, for i = 0,
// data every partition shares, such as reference tables), and clients draw
// keys only from that share. A client's id stays global (the runner gives
// partition i the clients whose id ≡ i mod n), so the union of the n
// processes behaves like one run with all clients.
type Partitioned interface {
	SetPartition(i, n int) error
}

// Meta registers a workload.
type Meta struct {
	Name        string
	Aliases     []string
	Description string
	// Configure declares the workload's options on s, bound to the fields
	// of a fresh configuration with its defaults, and returns the builder
	// that makes the workload from it once the options are set and checked
	// (s.Check). Options that change the loaded data are marked
	// ChangesData (--reuse compares only those). See docs/architecture.md,
	// "Declaring an option".
	Configure func(s *option.Set) Builder
}

// Builder builds a workload from its configured options and the run seed.
type Builder func(seed uint64) (Workload, error)

// DeclareOptions returns a workload's options, bound to a fresh default
// configuration, and the builder of that configuration.
func DeclareOptions(m *Meta) (*option.Set, Builder) {
	s := option.NewSet("workload " + m.Name)
	b := m.Configure(s)
	return s, b
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

// New builds the named workload with opts (option name → value in
// command-line syntax) on top of its defaults. An option the workload does
// not declare, or a value out of its bounds, is an error naming it.
func New(name string, opts map[string]string, seed uint64) (Workload, error) {
	m, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	s, build := DeclareOptions(m)
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		errs = append(errs, s.Set(k, opts[k]))
	}
	if err := errors.Join(append(errs, s.Check())...); err != nil {
		return nil, err
	}
	return build(seed)
}

// Sized is implemented by workloads that can estimate the memory their
// initial data takes in the simulator (every row lives in this process),
// so a size the machine cannot hold is refused before loading starts.
type Sized interface {
	// LoadBytes estimates the simulator's memory for the loaded data;
	// option names the option that sizes it, e.g. "--warehouses 100000".
	LoadBytes() (bytes int64, option string)
}
