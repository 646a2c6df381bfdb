package engines

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// Options reads an engine's options back from the parsed flags. A flag
// that is not in the set (a program that built its own, smaller set) leaves
// the default in place.
type Options struct{ fs *pflag.FlagSet }

// OptionsFrom wraps a flag set.
func OptionsFrom(fs *pflag.FlagSet) Options { return Options{fs} }

func (o Options) Int(name string, dst *int) {
	if v, err := o.fs.GetInt(name); err == nil {
		*dst = v
	}
}

func (o Options) Duration(name string, dst *time.Duration) {
	if v, err := o.fs.GetDuration(name); err == nil {
		*dst = v
	}
}

// String sets dst only when the flag is set to a non-empty value, so "" can
// mean "the engine's default" for shared options such as --isolation.
func (o Options) String(name string, dst *string) {
	if v, err := o.fs.GetString(name); err == nil && v != "" {
		*dst = v
	}
}

// Checks collects every out-of-range option of a configuration, each
// naming its flag, so Validate reports them all at once.
type Checks struct{ errs []error }

// AtLeast1 requires a count of at least one.
func (c *Checks) AtLeast1(flag string, v int) {
	if v < 1 {
		c.Addf("--%s must be at least 1, got %d", flag, v)
	}
}

// NonNegative requires a duration of zero or more (service times).
func (c *Checks) NonNegative(flag string, v time.Duration) {
	if v < 0 {
		c.Addf("--%s must not be negative, got %v", flag, v)
	}
}

// Positive requires a duration above zero (timeouts, intervals).
func (c *Checks) Positive(flag string, v time.Duration) {
	if v <= 0 {
		c.Addf("--%s must be positive, got %v", flag, v)
	}
}

// Addf records a problem.
func (c *Checks) Addf(format string, a ...any) { c.errs = append(c.errs, fmt.Errorf(format, a...)) }

// Err joins the problems (nil when there are none).
func (c *Checks) Err() error { return errors.Join(c.errs...) }
