// Package validate runs the published set-ups the simulated engines are
// calibrated against (Aurora DSQL's Fig. 6, Spanner OSDI'12 Tables 3 and 4,
// Deneva's network delay, the hot-key and lock laws) and compares each published figure with the
// model's: `bench validate`. A set-up is an ordinary run (a results file);
// a target reads one figure from one or more set-ups' results.
package validate

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/txbench/txbench/reports"
	"github.com/txbench/txbench/runner"
)

// Setup is one run: an engine, a workload and their options.
type Setup struct {
	Name string // results file name (NAME.json)
	// Options are bench run options (flag name → value): the runner's own
	// (engine, workload, topology, clients, duration, ...) and the engine's
	// and workload's.
	Options map[string]string
	// Fixed set-ups keep their own duration: their faults are timed within
	// it (--quick and --duration leave them alone).
	Fixed bool
}

// Kind says how a figure is compared.
type Kind int

const (
	// Magnitude: the paper's set-up is matched; within ±15%.
	Magnitude Kind = iota
	// Shape: a normalised value (a ratio to a reference point); within ±0.1.
	Shape
	// Law: a value that should be about 1 (throughput × service time);
	// within 0.5–2×.
	Law
)

// Band is the band's name in the figure table.
func (k Kind) Band() string {
	return [...]string{"±15%", "±0.1", "0.5–2×"}[k]
}

// within reports whether model is in the band around paper.
func (k Kind) within(paper, model float64) bool {
	switch k {
	case Magnitude:
		return paper > 0 && math.Abs(model/paper-1) <= 0.15
	case Shape:
		return math.Abs(model-paper) <= 0.1
	default:
		return paper > 0 && model/paper >= 0.5 && model/paper <= 2
	}
}

// Target is one published figure.
type Target struct {
	Name   string
	Source string
	Paper  float64
	Kind   Kind
	// Setups are the set-ups the figure reads, by name; Model computes the
	// figure from their results (in the same order).
	Setups []string
	Model  func(rs []*runner.Result) float64
	// Quick targets make up `bench validate --quick`.
	Quick bool
}

// Options steer a validation run.
type Options struct {
	Quick bool
	// Duration scales every set-up's measured time (0: each set-up's own).
	Duration time.Duration
	// Parallel is how many set-ups run at once (0 or 1: one at a time).
	// Each set-up is a simulation of its own (its own kernel, engine and
	// workload), so the results are the same whatever the number.
	Parallel int
	// Run runs one set-up; nil runs it with runner.Run. With Parallel > 1
	// it is called from several goroutines at once.
	Run func(ctx context.Context, s Setup, cfg runner.Config) (*runner.Result, error)
	// Progress, if set, hears about each set-up as it starts (never from
	// two goroutines at once).
	Progress func(setup string, i, n int)
}

// Outcome is a validation run's results: one result per set-up run, and
// the figures.
type Outcome struct {
	Setups     []Setup
	Results    map[string]*runner.Result
	Validation *reports.Validation
}

// quickDuration is each set-up's measured time under --quick: enough for
// the quick figures to settle, short enough for CI.
const quickDuration = 3 * time.Second

// Run runs every set-up the selected targets need and computes their
// figures.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	targets := Targets()
	setups := map[string]Setup{}
	for _, s := range Setups() {
		setups[s.Name] = s
	}
	var order []Setup
	seen := map[string]bool{}
	var chosen []Target
	for _, t := range targets {
		if o.Quick && !t.Quick {
			continue
		}
		chosen = append(chosen, t)
		for _, name := range t.Setups {
			s, ok := setups[name]
			if !ok {
				return nil, fmt.Errorf("validate: target %q needs unknown set-up %q", t.Name, name)
			}
			if !seen[name] {
				seen[name] = true
				order = append(order, s)
			}
		}
	}
	run := o.Run
	if run == nil {
		run = func(ctx context.Context, _ Setup, cfg runner.Config) (*runner.Result, error) {
			return runner.Run(ctx, cfg)
		}
	}
	d := o.Duration
	if o.Quick && d == 0 {
		d = quickDuration
	}
	cfgs := make([]runner.Config, len(order))
	for i, s := range order {
		d := d
		if s.Fixed {
			d = 0 // the set-up keeps its own duration
		}
		cfg, err := s.Config(d)
		if err != nil {
			return nil, err
		}
		cfgs[i] = cfg
	}
	results, err := runAll(ctx, order, cfgs, run, o)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Setups: order, Results: map[string]*runner.Result{}, Validation: &reports.Validation{}}
	for i, s := range order {
		out.Results[s.Name] = results[i]
	}
	for _, t := range chosen {
		rs := make([]*runner.Result, len(t.Setups))
		for i, name := range t.Setups {
			rs[i] = out.Results[name]
		}
		model := t.Model(rs)
		if math.IsNaN(model) || math.IsInf(model, 0) {
			model = 0
		}
		setup := t.Setups[0]
		for _, n := range t.Setups[1:] {
			setup += ", " + n
		}
		out.Validation.Figures = append(out.Validation.Figures, reports.Figure{
			Name: t.Name, Source: t.Source, Setup: setup, Paper: t.Paper,
			Model: round3(model), Band: t.Kind.Band(), Pass: t.Kind.within(t.Paper, model),
		})
	}
	return out, nil
}

// runAll runs the set-ups, o.Parallel at a time, taking them in order.
// After a failure nothing new starts, the runs in progress are cancelled,
// and the error of the first failed set-up (in set-up order) is returned,
// as a serial run would return it.
func runAll(ctx context.Context, order []Setup, cfgs []runner.Config, run func(context.Context, Setup, runner.Config) (*runner.Result, error), o Options) ([]*runner.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]*runner.Result, len(order))
	errs := make([]error, len(order))
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for range min(max(o.Parallel, 1), len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == len(order) || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				if o.Progress != nil {
					o.Progress(order[i].Name, i, len(order))
				}
				mu.Unlock()
				res, err := run(ctx, order[i], cfgs[i])
				if err != nil {
					errs[i] = fmt.Errorf("set-up %s: %w", order[i].Name, err)
					cancel()
				}
				results[i] = res
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

// Config builds the set-up's run configuration: defaults, then its
// options (checked against their declarations when the run resolves them);
// d > 0 replaces the measured duration.
func (s Setup) Config(d time.Duration) (runner.Config, error) {
	cfg := runner.DefaultConfig()
	cfg.Options = map[string]string{}
	for k, v := range s.Options {
		cfg.Options[k] = v
	}
	if d > 0 {
		cfg.Options["duration"] = d.String()
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("set-up %s: %w", s.Name, err)
	}
	return cfg, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
