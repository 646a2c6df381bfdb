// Package option declares the options of engines, workloads and the runner
// once, where they are owned. A declaration binds an option to a field of
// its owner's configuration and states its name, type, default (the field's
// value when declared), unit, lower and upper bound, help text and whether
// it changes the data a workload loads. Command-line flags, scenario-file
// keys, validation, help and a results file's config are all derived from
// these declarations (the model is cockroach's pkg/workload flags with their
// RuntimeOnly marking, inverted: Data marks what shapes the loaded data).
//
// Bounds are part of the declaration so that a value the machine cannot
// serve (a duration that would overflow, a count that would not fit in
// memory) is refused before any work starts, with a message naming the
// option.
package option

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is an option's type as the command line spells its values.
type Kind string

const (
	Int      Kind = "int"
	Float    Kind = "float"
	Duration Kind = "duration"
	String   Kind = "string"
	Bool     Kind = "bool"
	Choice   Kind = "choice"
)

// Option is one declared option.
type Option struct {
	Name  string
	Kind  Kind
	Owner string // the Set's owner: "run", "simulator", "engine occ", "workload tpcc"
	Help  string
	Unit  string // e.g. "rows", "clients"; durations carry their own
	// Default is the value the owner's configuration had when it was
	// declared, in command-line syntax.
	Default string
	// Min and Max are the inclusive bounds in command-line syntax ("" = no
	// bound, for strings and booleans). MaxOpen makes the upper bound
	// exclusive (e.g. a zipfian constant in [0,1)).
	Min, Max string
	MaxOpen  bool
	// Choices lists the accepted values of a Choice option.
	Choices []string
	// Data is set on options that change the data a workload loads (rows,
	// sizes, the seed); everything else only changes how the run behaves.
	// A real database's earlier load is reused only when every Data option
	// is the same.
	Data bool
	// Repeatable options (--fault) may be given several times; their value
	// is the items separated by spaces (an item never contains one).
	Repeatable bool
	// Redacted options (a DSN) are recorded only in redacted form.
	Redacted bool
	// Redact, for a Redacted option, returns the recordable form.
	Redact func(string) string
	// Like names options of other owners that this one stands in for
	// (ycsb-a's --zipf-constant is ycsb's --theta): refusing one of those
	// for this owner points at this one.
	Like []string

	parse func(string) error // sets the bound field, bounds unchecked
	check func() error       // checks the bound field's current value
	get   func() string
}

// ChangesData marks the option as shaping the loaded data.
func (o *Option) ChangesData() *Option { o.Data = true; return o }

// WithUnit names the unit of a count.
func (o *Option) WithUnit(u string) *Option { o.Unit = u; return o }

// Secret marks the option as never recorded in clear; redact gives the
// recordable form.
func (o *Option) Secret(redact func(string) string) *Option {
	o.Redacted, o.Redact = true, redact
	return o
}

// Repeated marks the option as repeatable (see Option.Repeatable).
func (o *Option) Repeated() *Option { o.Repeatable = true; return o }

// StandsFor records that the option does here what the named options of
// other owners do (see Option.Like).
func (o *Option) StandsFor(names ...string) *Option { o.Like = append(o.Like, names...); return o }

// Below makes the upper bound exclusive.
func (o *Option) Below() *Option { o.MaxOpen = true; return o }

// Value is the bound field's current value in command-line syntax.
func (o *Option) Value() string { return o.get() }

// Recorded is the value as a results file may store it (redacted when the
// option is secret).
func (o *Option) Recorded() string {
	if o.Redacted && o.Redact != nil {
		return o.Redact(o.get())
	}
	return o.get()
}

// Set parses s into the bound field; the error names the option and is one
// line. Bounds are checked by Check (so that every problem is reported
// once, after every option is set).
func (o *Option) Set(s string) error { return o.parse(strings.TrimSpace(s)) }

// Check checks the bound field's current value against the bounds (for
// configurations filled in by a Go program rather than parsed).
func (o *Option) Check() error { return o.check() }

// Range describes the accepted values for help: "[1, 64]", "[0, 1)",
// "a|b|c".
func (o *Option) Range() string {
	switch {
	case o.Kind == Choice:
		return strings.Join(o.Choices, "|")
	case o.Min == "" && o.Max == "":
		return ""
	}
	closing := "]"
	if o.MaxOpen {
		closing = ")"
	}
	return "[" + o.Min + ", " + o.Max + closing
}

// Set is the options one owner declares, bound to its configuration.
type Set struct {
	owner  string
	opts   []*Option
	byName map[string]*Option
	rules  []func() error
}

// NewSet starts an owner's declarations. Owner names the group in help
// and errors ("engine occ", "workload tpcc", "run").
func NewSet(owner string) *Set { return &Set{owner: owner, byName: map[string]*Option{}} }

// Owner names the set's owner.
func (s *Set) Owner() string { return s.owner }

// Options lists the declarations in declaration order.
func (s *Set) Options() []*Option { return s.opts }

// Lookup finds a declaration by name (nil if the owner has none).
func (s *Set) Lookup(name string) *Option { return s.byName[name] }

// Set parses one option's value (Check checks the bounds).
func (s *Set) Set(name, value string) error {
	o := s.byName[name]
	if o == nil {
		return fmt.Errorf("--%s is not an option of %s", name, s.owner)
	}
	return o.Set(value)
}

// Rule declares a check across options (e.g. a quorum that must be a
// majority of the copies); it runs after every option is within bounds
// and its error must name the options involved.
func (s *Set) Rule(check func() error) { s.rules = append(s.rules, check) }

// Check checks every option's current value, then the rules, and returns
// every problem.
func (s *Set) Check() error {
	var errs []error
	for _, o := range s.opts {
		errs = append(errs, o.check())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, r := range s.rules {
		errs = append(errs, r())
	}
	return errors.Join(errs...)
}

// Values returns every option's current value as a results file records it.
func (s *Set) Values() map[string]string {
	m := make(map[string]string, len(s.opts))
	for _, o := range s.opts {
		m[o.Name] = o.Recorded()
	}
	return m
}

func (s *Set) add(o *Option) *Option {
	if s.byName[o.Name] != nil {
		panic("option: " + s.owner + " declares --" + o.Name + " twice")
	}
	o.Owner = s.owner
	o.Default = o.get()
	s.opts = append(s.opts, o)
	s.byName[o.Name] = o
	return o
}

// number declares a bounded numeric option of any of the supported types.
func number[T int | int64 | uint64 | float64 | time.Duration](s *Set, p *T, name string, kind Kind, lo, hi T, help string,
	parse func(string) (T, error), format func(T) string) *Option {
	o := &Option{Name: name, Kind: kind, Help: help, Min: format(lo), Max: format(hi)}
	o.get = func() string { return format(*p) }
	o.parse = func(v string) error {
		x, err := parse(v)
		if err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		*p = x
		return nil
	}
	o.check = func() error {
		v := *p
		// !(a && b) also rejects NaN.
		if !(v >= lo && (v < hi || (v == hi && !o.MaxOpen))) {
			unit := ""
			if o.Unit != "" {
				unit = " " + o.Unit
			}
			return fmt.Errorf("--%s must be in %s%s, got %s", name, o.Range(), unit, format(v))
		}
		return nil
	}
	return s.add(o)
}

// Int declares an integer option bound to *p, with inclusive bounds.
func (s *Set) Int(p *int, name string, lo, hi int, help string) *Option {
	return number(s, p, name, Int, lo, hi, help, func(v string) (int, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, fmt.Errorf("want an integer in [%d, %d], got %q", lo, hi, v)
		}
		return int(n), nil
	}, strconv.Itoa)
}

// Int64 declares a 64-bit integer option.
func (s *Set) Int64(p *int64, name string, lo, hi int64, help string) *Option {
	return number(s, p, name, Int, lo, hi, help, func(v string) (int64, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("want an integer in [%d, %d], got %q", lo, hi, v)
		}
		return n, nil
	}, func(v int64) string { return strconv.FormatInt(v, 10) })
}

// Uint64 declares an unsigned integer option (seeds).
func (s *Set) Uint64(p *uint64, name string, lo, hi uint64, help string) *Option {
	return number(s, p, name, Int, lo, hi, help, func(v string) (uint64, error) {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("want an integer in [%d, %d], got %q", lo, hi, v)
		}
		return n, nil
	}, func(v uint64) string { return strconv.FormatUint(v, 10) })
}

// Float declares a floating-point option; NaN and infinities are refused
// by the bounds.
func (s *Set) Float(p *float64, name string, lo, hi float64, help string) *Option {
	format := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return number(s, p, name, Float, lo, hi, help, func(v string) (float64, error) {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("want a number, got %q", v)
		}
		return x, nil // out of range parses to ±Inf, which the bounds refuse
	}, format)
}

// Duration declares a duration option (Go syntax: 500us, 10s, 1m30s).
func (s *Set) Duration(p *time.Duration, name string, lo, hi time.Duration, help string) *Option {
	return number(s, p, name, Duration, lo, hi, help, func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 500us or 10s, got %q", v)
		}
		return d, nil
	}, formatDuration)
}

// formatDuration is time.Duration.String without zero minutes and seconds
// (1h, 24h, 5m), which ParseDuration reads back.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// String declares a free-form string option; check, if not nil, validates
// a value (the error need not name the option).
func (s *Set) String(p *string, name string, check func(string) error, help string) *Option {
	o := &Option{Name: name, Kind: String, Help: help}
	o.get = func() string { return *p }
	o.parse = func(v string) error { *p = v; return nil }
	o.check = func() error {
		if check == nil {
			return nil
		}
		if err := check(*p); err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		return nil
	}
	return s.add(o)
}

// Choice declares a string option with a fixed list of values.
func (s *Set) Choice(p *string, name string, choices []string, help string) *Option {
	o := &Option{Name: name, Kind: Choice, Help: help, Choices: choices}
	o.get = func() string { return *p }
	o.parse = func(v string) error { *p = v; return nil }
	o.check = func() error {
		for _, c := range choices {
			if *p == c {
				return nil
			}
		}
		return fmt.Errorf("--%s must be one of %s, got %q", name, strings.Join(choices, "|"), *p)
	}
	return s.add(o)
}

// Bool declares a boolean option (--name alone means true).
func (s *Set) Bool(p *bool, name string, help string) *Option {
	o := &Option{Name: name, Kind: Bool, Help: help}
	o.get = func() string { return strconv.FormatBool(*p) }
	o.parse = func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("--%s: want true or false, got %q", name, v)
		}
		*p = b
		return nil
	}
	o.check = func() error { return nil }
	return s.add(o)
}

// Custom declares an option whose value type is the owner's own (e.g. a
// partition "i/n"); parse sets the field, get formats it.
func (s *Set) Custom(name, typ string, parse func(string) error, get func() string, help string) *Option {
	o := &Option{Name: name, Kind: Kind(typ), Help: help, get: get}
	o.parse = func(v string) error {
		if err := parse(v); err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		return nil
	}
	o.check = func() error { return nil }
	return s.add(o)
}
