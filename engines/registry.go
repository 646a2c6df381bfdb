package engines

import (
	"io"
	"time"

	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/internal/registry"
)

// Meta registers an engine: adding an engine touches one folder, whose init()
// calls Register.
type Meta struct {
	Name        string
	Aliases     []string
	Description string
	// Simulated engines run inside the discrete-event simulation; the others
	// talk to a real server in wall time.
	Simulated bool
	// DefaultTopology and DefaultEpsilon are the simulated set-up the engine
	// models out of the box (e.g. one region with 3 AZs, ClockBound's ε).
	DefaultTopology string
	DefaultEpsilon  string
	// Configure declares the engine's options on s, bound to the fields of
	// a fresh configuration with its defaults, and returns the builder that
	// makes the engine from that configuration once the options are set and
	// checked (s.Check). Each option is declared here once: flags, scenario
	// keys, validation, help and the results' config all come from it (see
	// docs/architecture.md, "Declaring an option"). Every engine declares
	// "isolation" with the levels it runs, its default the level it runs
	// when none is asked for.
	Configure func(s *option.Set) Builder
	// Claims maps each --isolation level the engine runs to the isolation
	// level it claims to provide there, in the checker's names (package
	// isolation: read-committed, snapshot-isolation,
	// strong-snapshot-isolation, serializable, strict-serializable).
	// bench check judges a history against it.
	Claims map[string]string
}

// Env is what an engine is built from.
type Env struct {
	Seed uint64
	// Sim is, for simulated engines, the *sim.Cluster they run on (the
	// contract does not depend on the simulator: engines/simengine reads
	// it); nil for real ones.
	Sim any
	// Clients is the number of clients the run drives (a real database's
	// connection pool is sized by it).
	Clients int
	// Log receives diagnostics; never credentials.
	Log io.Writer
	// Partitioned is set when this process is one of several driving one
	// database (--partition i/n): the engine must not drop what the others
	// create or load.
	Partitioned bool
	// Partition names this process's part ("1/4") when Partitioned, so a
	// real database can tell the parts' connections apart.
	Partition string
	// StatementTimeout is the run's --statement-timeout (0 = none): a real
	// database enforces it on every connection (PostgreSQL's
	// statement_timeout); simulated engines leave it to the runner.
	StatementTimeout time.Duration
}

var entries = registry.New("engine", func(m *Meta) string { return m.Name }, func(m *Meta) []string { return m.Aliases })

// Register adds an entry; it panics on a duplicate name (a programming error).
func Register(m *Meta) { entries.Register(m) }

// Lookup finds an entry by name or alias.
func Lookup(name string) (*Meta, error) { return entries.Lookup(name) }

// All returns every entry once, sorted by name.
func All() []*Meta { return entries.All() }

// Names returns the primary names, sorted.
func Names() []string { return entries.Names() }
