package engines

import (
	"context"
	"errors"
	"time"
	"unsafe"
)

// Engine is one database under test: a simulated model or a real database.
//
// The contract is SQL-shaped on purpose: the pg engine implements it with
// real tables and statements, the simulated engines with the shared MVCC
// storage core, and workloads cannot tell the difference.
type Engine interface {
	// CreateSchema prepares the tables. It is called once, before Load.
	CreateSchema(ctx context.Context, s *Schema) error
	// Load bulk-installs initial rows (not through transactions; like COPY).
	// The engine may keep rows (and finish with them later, see Flusher):
	// callers hand over fresh slices and do not reuse them, unless the
	// engine says it copies them (Copier).
	Load(ctx context.Context, t *Table, rows []Row) error
	// Session opens a client's session (a connection). ctx carries the
	// runtime of the client (for simulated engines, its process).
	Session(ctx context.Context, c Client) (Session, error)
	// Close releases everything the engine holds.
	Close() error
}

// Flusher is implemented by engines whose Load works in the background
// (parallel COPY): Flush waits until every row handed to Load is stored
// and returns the first error.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Copier is implemented by engines whose Load may keep nothing of the rows
// it is handed once it returns: what it stores is a copy (the simulated
// engines pack every row). When LoadCopies reports true, the caller may
// overwrite a batch, its rows and their strings' bytes after Load returns
// (the runner hands such batches back to the workload to refill, see
// workloads.Recycler).
type Copier interface {
	LoadCopies() bool
}

// LoadCopies reports whether e copies the rows its Load is handed (Copier).
func LoadCopies(e Engine) bool {
	c, ok := e.(Copier)
	return ok && c.LoadCopies()
}

// Reuser is implemented by real engines that can keep loaded data between
// runs (bench run --reuse).
type Reuser interface {
	// Reuse checks that the tables hold the load identified by fingerprint
	// (recorded by MarkLoaded) with the row counts recorded then; if so it
	// prepares the engine to run on them without CreateSchema and Load, and
	// reports true. why says what did not match otherwise.
	Reuse(ctx context.Context, s *Schema, fingerprint string) (ok bool, why string, err error)
	// MarkLoaded records that the tables hold the load fingerprint names.
	MarkLoaded(ctx context.Context, s *Schema, fingerprint string) error
}

// Client says where a client runs, so engines can place its session (a
// query processor in the client's AZ, a router in its AZ, ...).
type Client struct {
	ID     int
	Region string // empty for real engines
	AZ     string
}

// Session is one client connection. It runs one transaction at a time.
type Session interface {
	Begin(ctx context.Context, o TxnOptions) (Txn, error)
	Close() error
}

// TxnOptions describe the transaction about to run.
type TxnOptions struct {
	// Type is the workload's transaction type (for engine-side accounting).
	Type string
	// ReadOnly is declared by the workload (YCSB-C, TPC-C Order-Status...);
	// engines may use a cheaper read-only protocol, and must reject writes.
	ReadOnly bool
	// SingleStatement promises that the transaction is exactly one
	// statement; an engine may run it as an implicit (autocommit)
	// transaction at the same isolation level.
	SingleStatement bool
	// Attempt counts from 1; a retry re-executes the same logical transaction.
	Attempt int
	// FirstStart is when the logical transaction's first attempt began
	// (runtime clock). Engines that order transactions by age (wound-wait)
	// use it so that a retried transaction keeps its priority.
	FirstStart time.Duration
	// OneShot runs the transaction as one request (a stored procedure,
	// bench run --one-shot): the client sends it once, the engine runs
	// its statements where the session is served (a query processor, a
	// router, a coordinator) with no client round trip per statement,
	// and one reply carries the outcome. Only simulated engines take it.
	OneShot bool
}

// ScanSpec selects a key range of one table. Start and End are keys or key
// prefixes; the range is [Start, End) in key order, where a prefix bound
// stands for the first key with that prefix. Empty bounds are unbounded.
type ScanSpec struct {
	Start, End Key
	// EndInclusivePrefix makes End cover every key that has End as a prefix
	// (SQL: key columns <= End's values), which is what "all rows of this
	// district" needs.
	EndInclusivePrefix bool
	Limit              int // 0 = no limit
	Reverse            bool
}

// Set assigns one column in an UPDATE.
type Set struct {
	Col int
	Val Value
}

// Txn is one attempt at a transaction. Every method may return an
// *AbortError, after which the transaction is over (no Rollback needed).
type Txn interface {
	// Get reads one row by primary key; ok is false when there is none.
	Get(ctx context.Context, t *Table, k Key) (r Row, ok bool, err error)
	// GetForUpdate is SELECT ... FOR UPDATE: it reads the row and makes the
	// key conflict with concurrent writers as if this transaction wrote it.
	GetForUpdate(ctx context.Context, t *Table, k Key) (r Row, ok bool, err error)
	// Scan returns rows in key order (or reverse), at most s.Limit of them.
	Scan(ctx context.Context, t *Table, s ScanSpec) ([]Row, error)
	// Insert adds a row; ErrDuplicateKey if the key exists.
	Insert(ctx context.Context, t *Table, r Row) error
	// Update sets columns of an existing row; ErrNotFound if there is none.
	Update(ctx context.Context, t *Table, k Key, sets ...Set) error
	// Delete removes a row; ErrNotFound if there is none.
	Delete(ctx context.Context, t *Table, k Key) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// IntoGetter is implemented by transactions that can unpack a row Get
// reads into a buffer the caller owns (GetInto).
type IntoGetter interface {
	// GetInto is Get, except that a row read from storage may be built in
	// dst's array (when it is large enough), so that it is valid only
	// until the caller uses dst again. A row the transaction wrote itself
	// is returned as Get returns it. With dst Discard, a row read from
	// storage is not unpacked at all: r is Discard (ok and err are Get's).
	GetInto(ctx context.Context, t *Table, k Key, dst Row) (r Row, ok bool, err error)
}

// Discard, as GetInto's dst, reads a row for a caller that looks at
// nothing in it (YCSB's reads: their rows' values only cost the simulator
// time to unpack). A simulated engine does the read as for any dst (the
// model's work, events and figures are the same) and skips unpacking the
// stored version into values; what it returns is Discard then, not the
// row. An engine without GetInto returns the row.
var Discard = Row(discard[:0:0])

var discard [1]Value

// discards reports whether dst is Discard.
func discards(dst Row) bool { return cap(dst) == 0 && unsafe.SliceData(dst) == &discard[0] }

// GetInto is tx's GetInto when it has one, else tx.Get: a caller that
// reads a row and is done with it before its next read passes a buffer of
// its own and saves a Row allocation a read; one that looks at nothing in
// it (YCSB's read) passes Discard.
func GetInto(ctx context.Context, tx Txn, t *Table, k Key, dst Row) (Row, bool, error) {
	if g, ok := tx.(IntoGetter); ok {
		return g.GetInto(ctx, t, k, dst)
	}
	return tx.Get(ctx, t, k)
}

// Errors a statement returns that are results, not aborts.
var (
	ErrNotFound     = errors.New("row not found")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrReadOnly     = errors.New("write in a read-only transaction")
)

// TxnInfo is what an engine knows about a finished attempt beyond its
// outcome; engines that implement InfoTxn report it after Commit.
type TxnInfo struct {
	// Participants is the number of partitions (adjudicators, splits,
	// shards) the commit involved; 0 for a commit that needed none.
	Participants int
}

// InfoTxn is implemented by transactions that report TxnInfo.
type InfoTxn interface {
	Info() TxnInfo
}

// Describer is implemented by engines that report facts about the server
// they ran on (a real database's version and the settings that shape the
// figures); the runner records them in the results' config.
type Describer interface {
	Settings() map[string]string
}
