// Package registry is the name → entry table that engines and workloads
// register themselves in: names and aliases, case-insensitive lookup with an
// error that lists what exists, and a deterministic listing.
package registry

import (
	"fmt"
	"sort"
	"strings"
)

// Registry maps names and aliases to entries of type *M.
type Registry[M any] struct {
	kind    string // "engine", "workload": for messages
	byName  map[string]*M
	name    func(*M) string
	aliases func(*M) []string
}

// New returns an empty registry; name and aliases read an entry's names.
func New[M any](kind string, name func(*M) string, aliases func(*M) []string) *Registry[M] {
	return &Registry[M]{kind: kind, byName: map[string]*M{}, name: name, aliases: aliases}
}

// Register adds m under its name and aliases; a duplicate is a programming
// error and panics at init time.
func (r *Registry[M]) Register(m *M) {
	for _, n := range append([]string{r.name(m)}, r.aliases(m)...) {
		if _, dup := r.byName[n]; dup {
			panic(fmt.Sprintf("duplicate %s name %q", r.kind, n))
		}
		r.byName[n] = m
	}
}

// Lookup finds an entry by name or alias, ignoring case.
func (r *Registry[M]) Lookup(name string) (*M, error) {
	if m, ok := r.byName[strings.ToLower(name)]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown %s %q (known: %s)", r.kind, name, strings.Join(r.Names(), ", "))
}

// All returns every entry once, sorted by name.
func (r *Registry[M]) All() []*M {
	seen := map[*M]bool{}
	var out []*M
	for _, m := range r.byName {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return r.name(out[i]) < r.name(out[j]) })
	return out
}

// Names returns the primary names, sorted.
func (r *Registry[M]) Names() []string {
	var ns []string
	for _, m := range r.All() {
		ns = append(ns, r.name(m))
	}
	return ns
}
