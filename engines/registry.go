package engines

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/sim"
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
	// Kernel and Cluster are set for simulated engines.
	Kernel  *sim.Kernel
	Cluster *sim.Cluster
	// Flags holds the parsed options (the engine's own and the shared ones).
	Flags *pflag.FlagSet
	// Log receives diagnostics; never credentials.
	Log io.Writer
}

var registry = map[string]*Meta{}

// Register adds an engine; it panics on a duplicate name (a programming error).
func Register(m *Meta) {
	for _, n := range append([]string{m.Name}, m.Aliases...) {
		if _, dup := registry[n]; dup {
			panic("engines: duplicate engine name " + n)
		}
		registry[n] = m
	}
}

// Lookup finds an engine by name or alias.
func Lookup(name string) (*Meta, error) {
	if m, ok := registry[strings.ToLower(name)]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown engine %q (known: %s)", name, strings.Join(Names(), ", "))
}

// All returns every registered engine once, sorted by name.
func All() []*Meta {
	seen := map[*Meta]bool{}
	var out []*Meta
	for _, m := range registry {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the primary names of all engines, sorted.
func Names() []string {
	var ns []string
	for _, m := range All() {
		ns = append(ns, m.Name)
	}
	return ns
}

// RegisterFlags adds every engine's options to fs.
func RegisterFlags(fs *pflag.FlagSet) {
	for _, m := range All() {
		if m.Flags != nil {
			m.Flags(fs)
		}
	}
}
