package reports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

// Point is one run of a plan: option overrides (long flag name → value) on
// top of the options the plan's Config starts from.
type Point struct {
	// Options always holds "engine"; a sweep adds its parameter.
	Options map[string]string
	// Label names the point in tables and charts ("occ", "occ theta=0.9").
	Label string
	// File is the results file's name inside the plan's OutDir.
	File string
}

// Plan is a list of runs executed one after another — `bench compare` and
// `bench sweep` are plans. Runs are sequential on purpose: a simulated run
// is single-threaded and deterministic, and parallel runs would make a real
// database's figures depend on each other.
type Plan struct {
	Points []Point
	// Config builds the configuration of a run from a point's options; an
	// unknown option or a bad value is an error naming it. The CLI builds it
	// from its flags, so a plan accepts exactly the options `bench run` does.
	Config func(opts map[string]string) (runner.Config, error)
	// OutDir, if set, keeps every point's results file there.
	OutDir string
	// Started, if set, is called before each point (for a progress bar).
	Started func(i int, p Point)
	// Progress, if set, receives each run's own progress.
	Progress func(done, total time.Duration, committed int64)
	// Finished, if set, is called after each run (and its file) is done.
	Finished func(i int, r Run)
}

// Run validates every point's configuration first — so a typo fails before
// an hour of runs, not after — then runs the points in order. When ctx is
// cancelled the run in progress stops early, its result is kept (marked
// partial) and the plan stops; Run returns the runs that finished and
// context.Canceled. An error in a run stops the plan and is returned with
// the runs before it.
func (pl *Plan) Run(ctx context.Context) ([]Run, error) {
	cfgs := make([]runner.Config, len(pl.Points))
	var errs []error
	for i, p := range pl.Points {
		cfg, err := pl.Config(p.Options)
		if err == nil {
			err = checkConfig(cfg)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfgs[i] = cfg
	}
	if err := errors.Join(errs...); err != nil {
		return nil, dedupe(err)
	}
	if pl.OutDir != "" {
		if err := os.MkdirAll(pl.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("--out-dir: %w", err)
		}
	}
	var runs []Run
	for i, p := range pl.Points {
		if ctx.Err() != nil {
			return runs, context.Canceled
		}
		if pl.Started != nil {
			pl.Started(i, p)
		}
		cfg := cfgs[i]
		cfg.Progress = pl.Progress
		res, err := runner.Run(ctx, cfg)
		if err != nil {
			return runs, fmt.Errorf("%s: %w", p.Label, err)
		}
		run := Run{Label: p.Label, Result: res}
		if pl.OutDir != "" {
			run.Path = filepath.Join(pl.OutDir, p.File)
			if err := res.WriteFile(run.Path); err != nil {
				return runs, fmt.Errorf("--out-dir: %w", err)
			}
		}
		runs = append(runs, run)
		if pl.Finished != nil {
			pl.Finished(i, run)
		}
		if res.Partial {
			return runs, context.Canceled
		}
	}
	return runs, nil
}

// checkConfig catches what would make a run fail at once: bad run
// options, an unknown engine or workload, bad workload options (building a
// workload is cheap; loading it is not, and happens only in the run).
// Engine options are checked when the engine is built, at the run itself.
func checkConfig(cfg runner.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if _, err := engines.Lookup(cfg.Engine); err != nil {
		return fmt.Errorf("--engines: %w", err)
	}
	wm, err := workloads.Lookup(cfg.Workload)
	if err != nil {
		return fmt.Errorf("--workload: %w", err)
	}
	if cfg.Flags != nil {
		if _, err := wm.New(cfg.Flags, cfg.Seed); err != nil {
			return err
		}
	}
	return nil
}

// dedupe keeps each distinct line of a joined error once: every point of a
// sweep repeats the same bad common option.
func dedupe(err error) error {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return errors.New(strings.Join(out, "\n"))
}

// ParseEngines resolves a comma-separated list of engine names or aliases
// to primary names, in order, without repeats; an empty list means every
// simulated engine. Errors name the --engines flag.
func ParseEngines(list string) ([]string, error) {
	var out []string
	if strings.TrimSpace(list) == "" {
		for _, m := range engines.All() {
			if m.Simulated {
				out = append(out, m.Name)
			}
		}
		if len(out) == 0 {
			return nil, errors.New("--engines: no simulated engine is registered")
		}
		return out, nil
	}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("--engines: empty name in %q", list)
		}
		m, err := engines.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("--engines: %w", err)
		}
		if !slices.Contains(out, m.Name) {
			out = append(out, m.Name)
		}
	}
	return out, nil
}

// ComparePlan runs the same options on each engine, on one cluster (see
// SharedTopology), and returns the points and that topology.
func ComparePlan(engineNames []string, topology string) ([]Point, string) {
	topology = SharedTopology(engineNames, topology)
	var pts []Point
	for _, e := range engineNames {
		opts := map[string]string{"engine": e}
		if topology != "" {
			opts["topology"] = topology
		}
		pts = append(pts, Point{Options: opts, Label: e, File: fileSafe(e) + ".json"})
	}
	return pts, topology
}

// SharedTopology is the cluster every engine of a comparison runs on: the
// one given, else the first engine's default, so that engines whose
// defaults differ still compare on the same cluster. Clock uncertainty
// stays each engine's own unless the options set it: it is part of what
// each modelled system is.
func SharedTopology(engineNames []string, topology string) string {
	if topology == "" && len(engineNames) > 0 {
		if m, err := engines.Lookup(engineNames[0]); err == nil {
			topology = m.DefaultTopology
		}
	}
	return topology
}

// ParseParam reads a sweep parameter, "name=v1,v2,...". The name is any
// option a run takes (checked when the plan builds its configurations);
// values are kept as written, in order.
func ParseParam(s string) (name string, values []string, err error) {
	name, list, ok := strings.Cut(s, "=")
	name = strings.TrimPrefix(strings.TrimSpace(name), "--")
	if !ok || name == "" || strings.TrimSpace(list) == "" {
		return "", nil, fmt.Errorf("--param: want name=value1,value2,..., got %q", s)
	}
	switch name {
	case "engine":
		return "", nil, errors.New("--param: sweep engines with --engines, not with --param engine=NAMES")
	case "out", "config", "quiet":
		return "", nil, fmt.Errorf("--param: %s is not a run option", name)
	}
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			return "", nil, fmt.Errorf("--param %s: empty value in %q", name, list)
		}
		if slices.Contains(values, v) {
			return "", nil, fmt.Errorf("--param %s: value %q given twice", name, v)
		}
		values = append(values, v)
	}
	return name, values, nil
}

// SweepPlan is every engine at every value of the parameter, engine by
// engine, all on the same cluster (see SharedTopology) unless the
// parameter is the topology.
func SweepPlan(engineNames []string, param string, values []string, topology string) []Point {
	topology = SharedTopology(engineNames, topology)
	var pts []Point
	files := map[string]bool{}
	for _, e := range engineNames {
		for i, v := range values {
			file := fileSafe(e+"-"+param+"-"+v) + ".json"
			if files[file] { // values that differ only in punctuation
				file = fileSafe(fmt.Sprintf("%s-%s-%d", e, param, i+1)) + ".json"
			}
			files[file] = true
			opts := map[string]string{"engine": e, param: v}
			if param != "topology" && topology != "" {
				opts["topology"] = topology
			}
			pts = append(pts, Point{
				Options: opts,
				Label:   e + " " + param + "=" + v,
				File:    file,
			})
		}
	}
	return pts
}
