package main

import (
	"runtime"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/internal/option"
)

// ownerPlan owns the options of commands that run many independent runs
// (compare, sweep, validate) besides the runs' own options.
const ownerPlan = "plan"

// planSet declares the options every command that runs many independent
// runs has (bench compare, sweep and validate), bound to p, and adds their
// flags to fs. Check the set after parsing.
func planSet(fs *pflag.FlagSet, parallel *int) *option.Set {
	s := option.NewSet(ownerPlan)
	*parallel = runtime.NumCPU()
	s.Int(parallel, "parallel", 1, 1024, "simulated runs at once, each on its own core (results are the same as one at a time; runs on a real database always go one at a time)").WithUnit("runs")
	for _, o := range s.Options() {
		fs.Var(optionFlag{o}, o.Name, o.Help+" ("+o.Range()+")")
	}
	return s
}

// optionFlag is a flag that parses into its declared option.
type optionFlag struct{ o *option.Option }

func (f optionFlag) String() string     { return f.o.Value() }
func (f optionFlag) Set(s string) error { return f.o.Set(s) }
func (f optionFlag) Type() string       { return string(f.o.Kind) }
