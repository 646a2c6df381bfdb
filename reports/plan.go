package reports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/runner"
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

// Plan is a list of runs — `bench compare` and `bench sweep` are plans.
// A simulated run is single-threaded and deterministic, so independent
// simulated runs go on every core (Parallel) and give the same results as
// one after another. Runs against a real database stay sequential: in
// parallel they would share the database and make each other's figures.
type Plan struct {
	Points []Point
	// Config builds the configuration of a run from a point's options; an
	// unknown option or a bad value is an error naming it. The CLI builds it
	// from its flags, so a plan accepts exactly the options `bench run` does.
	Config func(opts map[string]string) (runner.Config, error)
	// OutDir, if set, keeps every point's results file there.
	OutDir string
	// Parallel is how many simulated runs may go at once (0 or 1: one at a
	// time). Results, files and the order of Finished calls do not depend
	// on it.
	Parallel int
	// Started, if set, is called before each point (for a progress bar).
	Started func(i int, p Point)
	// Progress, if set, receives each run's own progress (runs one at a
	// time only: with several at once there is no single run to follow).
	Progress func(done, total time.Duration, committed int64)
	// Finished, if set, is called after each run (and its file) is done,
	// in the order of the points.
	Finished func(i int, r Run)
}

// Run validates every point's configuration first — so a typo fails before
// an hour of runs, not after — then runs the points, in order or Parallel
// at a time. When ctx is cancelled the runs in progress stop early, their
// results are kept (marked partial) and the plan stops; Run returns the
// runs that finished and context.Canceled. An error in a run stops the
// plan and is returned with the runs before it.
func (pl *Plan) Run(ctx context.Context) ([]Run, error) {
	cfgs := make([]runner.Config, len(pl.Points))
	var errs []error
	simulated := true
	for i, p := range pl.Points {
		cfg, err := pl.Config(p.Options)
		if err == nil {
			err = checkConfig(cfg)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if m, err := engines.Lookup(cfg.Engine); err == nil && !m.Simulated {
			simulated = false
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
	workers := 1
	if simulated {
		workers = min(max(pl.Parallel, 1), len(pl.Points))
	}
	if workers <= 1 {
		return pl.serial(ctx, cfgs)
	}
	return pl.parallel(ctx, cfgs, workers)
}

func (pl *Plan) serial(ctx context.Context, cfgs []runner.Config) ([]Run, error) {
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
		run, err := pl.runPoint(ctx, i, cfg)
		if err != nil {
			return runs, err
		}
		runs = append(runs, run)
		if pl.Finished != nil {
			pl.Finished(i, run)
		}
		if run.Result.Partial {
			return runs, context.Canceled
		}
	}
	return runs, nil
}

// parallel runs the points on workers goroutines. Each run is a simulation
// of its own (its own kernel, engine, workload and flag set), so runs share
// nothing that could make one depend on another, and the order in which
// they start changes no result. Finished is called in point order as the
// runs before each one are done, so the output reads as a serial run's.
//
// The points start costliest first, as far as the runs so far tell
// (startOrder): a plan is done when its last run is, and a long run started
// last keeps one worker busy while the others have nothing left to do.
func (pl *Plan) parallel(ctx context.Context, cfgs []runner.Config, workers int) ([]Run, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		run Run
		err error
	}
	var (
		mu       sync.Mutex
		order    = newStartOrder(pl.Points)
		reported int // points passed to Finished
		outcomes = make([]*outcome, len(pl.Points))
		runs     []Run
		firstErr error
		stopped  bool // an error or an interrupt: nothing new starts
		wg       sync.WaitGroup
	)
	// report passes point i's run to Finished.
	report := func(i int) {
		runs = append(runs, outcomes[i].run)
		if pl.Finished != nil {
			pl.Finished(i, outcomes[i].run)
		}
	}
	// flush reports, in order, the runs whose predecessors are all done.
	flush := func() {
		for reported < len(outcomes) && outcomes[reported] != nil && firstErr == nil {
			if err := outcomes[reported].err; err != nil {
				firstErr = err
				break
			}
			report(reported)
			reported++
		}
	}
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				if stopped || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i, ok := order.next(time.Now())
				if !ok {
					mu.Unlock()
					return
				}
				if pl.Started != nil {
					pl.Started(i, pl.Points[i])
				}
				mu.Unlock()

				run, err := pl.runPoint(ctx, i, cfgs[i])

				mu.Lock()
				order.done(i, time.Now())
				if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
					// Interrupted before it measured anything (while
					// loading, say): as if it had never started.
					stopped = true
					mu.Unlock()
					return
				}
				outcomes[i] = &outcome{run, err}
				if err != nil || run.Result.Partial {
					stopped = true
					cancel()
				}
				flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return runs, firstErr
	}
	if reported == len(pl.Points) {
		return runs, nil
	}
	// Interrupted: the runs that finished (or stopped part-way) after a
	// point that never started are kept too, in order; nothing measured
	// is lost.
	for i := reported; i < len(outcomes); i++ {
		if o := outcomes[i]; o != nil && o.err == nil {
			report(i)
		}
	}
	return runs, context.Canceled
}

// startOrder picks which point a free worker starts next: the one whose
// run looks longest. How long a run takes is learnt from the runs of the
// same engine — the engine is what makes most of the difference in a
// sweep, while the swept value usually changes it less. An engine that
// has not run yet is tried first, in point order, so every engine's cost
// is known early; an engine whose only run is still going is as long as
// that run so far, at least. Ties go to the earlier point, so a plan of
// one engine, or a compare (one point each), starts in point order.
type startOrder struct {
	engine  []string
	started []bool
	begin   []time.Time
	took    map[string]time.Duration // total wall time of an engine's finished runs
	runs    map[string]int           // and their number
}

func newStartOrder(points []Point) *startOrder {
	o := &startOrder{
		engine:  make([]string, len(points)),
		started: make([]bool, len(points)),
		begin:   make([]time.Time, len(points)),
		took:    map[string]time.Duration{},
		runs:    map[string]int{},
	}
	for i, p := range points {
		o.engine[i] = p.Options["engine"]
	}
	return o
}

// next marks the chosen point started at now; false when none is left.
func (o *startOrder) next(now time.Time) (int, bool) {
	best, bestCost := -1, time.Duration(-1)
	for i, e := range o.engine {
		if o.started[i] {
			continue
		}
		if c := o.cost(e, now); c > bestCost {
			best, bestCost = i, c
		}
	}
	if best < 0 {
		return 0, false
	}
	o.started[best], o.begin[best] = true, now
	return best, true
}

// cost is how long a run of engine e is expected to take.
func (o *startOrder) cost(e string, now time.Time) time.Duration {
	if n := o.runs[e]; n > 0 {
		return o.took[e] / time.Duration(n)
	}
	running := false
	var cost time.Duration
	for i, s := range o.started {
		if s && o.engine[i] == e {
			running = true
			cost = max(cost, now.Sub(o.begin[i])) // at least this long
		}
	}
	if !running {
		return time.Duration(1<<63 - 1) // unknown: try it first
	}
	return cost
}

// done records that point i finished at now.
func (o *startOrder) done(i int, now time.Time) {
	e := o.engine[i]
	o.took[e] += now.Sub(o.begin[i])
	o.runs[e]++
	o.begin[i] = time.Time{}
}

// runPoint runs point i and writes its results file.
func (pl *Plan) runPoint(ctx context.Context, i int, cfg runner.Config) (Run, error) {
	p := pl.Points[i]
	res, err := runner.Run(ctx, cfg)
	if err != nil {
		return Run{}, fmt.Errorf("%s: %w", p.Label, err)
	}
	run := Run{Label: p.Label, Result: res}
	if pl.OutDir != "" {
		run.Path = filepath.Join(pl.OutDir, p.File)
		if err := res.WriteFile(run.Path); err != nil {
			return Run{}, fmt.Errorf("--out-dir: %w", err)
		}
	}
	return run, nil
}

// checkConfig catches what would make a run fail at once: every option
// checked against its declaration, the engine and workload resolved, the
// workload built (building is cheap; loading it is not, and happens only
// in the run).
func checkConfig(cfg runner.Config) error {
	r, err := runner.Resolve(cfg)
	if err != nil {
		return err
	}
	_, err = r.NewWorkload()
	return err
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
