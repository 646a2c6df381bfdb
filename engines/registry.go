package engines

import (
	"io"

	"github.com/spf13/pflag"

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
	// Flags registers the engine's own options. Options shared by several
	// engines (isolation, ...) are looked up first and only added once.
	Flags func(fs *pflag.FlagSet)
	// New builds the engine from its options.
	New func(env Env) (Engine, error)
}

// Env is what an engine is built from.
type Env struct {
	Seed uint64
	// Sim is, for simulated engines, the *sim.Cluster they run on (the
	// contract does not depend on the simulator: engines/simengine reads
	// it); nil for real ones.
	Sim any
	// Flags holds the parsed options (the engine's own and the shared ones).
	Flags *pflag.FlagSet
	// Log receives diagnostics; never credentials.
	Log io.Writer
	// Partitioned is set when this process is one of several driving one
	// database (--partition i/n): the engine must not drop what the others
	// create or load.
	Partitioned bool
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

// RegisterFlags adds every engine's options to fs. Options several engines
// share are registered here once, with help that covers each of them.
func RegisterFlags(fs *pflag.FlagSet) {
	if fs.Lookup("isolation") == nil {
		fs.String("isolation", "", "isolation level (default: the engine's): occ repeatable-read (snapshot) only; 2pc serializable|repeatable-read; "+
			"sharded repeatable-read|read-committed; pg read-committed|repeatable-read|serializable")
	}
	for _, m := range All() {
		if m.Flags != nil {
			m.Flags(fs)
		}
	}
}
