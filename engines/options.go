package engines

import "github.com/txbench/txbench/internal/option"

// Builder builds an engine from the configuration its Configure bound the
// options to, once they are set and checked.
type Builder func(env Env) (Engine, error)

// DeclareOptions returns an engine's options, bound to a fresh default
// configuration, and the builder of that configuration (for help, listings
// and the catalog of every option; see runner.Catalog).
func DeclareOptions(m *Meta) (*option.Set, Builder) {
	s := option.NewSet("engine " + m.Name)
	b := m.Configure(s)
	return s, b
}
