package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/txbench/txbench/runner"
)

// Method is how a gate compares the two sides.
type Method int

const (
	// Exact: every run is simulated and both sides have the same seeds. A
	// simulation is a function of its seed and options, so any difference
	// is a real change in the model, and limits apply to the figures as
	// they are.
	Exact Method = iota
	// SingleRun: one run on a side and no determinism to lean on — the
	// figures are compared as they are, without a noise estimate.
	SingleRun
	// Statistical: several runs per side. A metric fails only when the
	// Mann–Whitney U test finds the sides differ (p < α) and the change of
	// the medians is beyond its limit, so noise alone does not fail a gate.
	Statistical
)

func (m Method) String() string {
	switch m {
	case Exact:
		return "exact: simulated runs with the same seeds are deterministic, so every difference is real"
	case SingleRun:
		return "single run per side: figures compared as they are, with no noise estimate (pass several files per side for a statistical comparison)"
	default:
		return "statistical: medians with confidence intervals; a metric fails only if the Mann-Whitney U test finds a difference (p < α) beyond its limit"
	}
}

// Status is a check's verdict.
type Status int

const (
	Pass Status = iota
	Fail
	// Skipped: nothing to compare (e.g. no committed transaction of the
	// type on a side, so it has no latency).
	Skipped
)

// Check is one metric of one scope compared against its limit.
type Check struct {
	Scope  string // "total" or a transaction type
	Metric string // throughput, mean, p50, p95, p99, p999, abort_rate
	Base   Estimate
	Cur    Estimate
	// Change is relative ((current − baseline) / baseline) for throughput
	// and latencies, absolute (a fraction of attempts) for the abort rate.
	Change float64
	Limit  float64
	// P is the Mann–Whitney p-value (statistical gates only; NaN otherwise).
	P      float64
	Status Status
	// Why explains a skip or a pass despite a change beyond the limit.
	Why string
}

// Estimate is one side's figure: the value (one run, or the median of
// several) and, with several runs, its confidence interval.
type Estimate struct {
	Center, Lo, Hi float64
	N              int
}

// GateResult is the outcome of a gate.
type GateResult struct {
	Baseline, Current []Run
	Config            *GateConfig
	Method            Method
	Checks            []Check
	// Notes are what a reader must know: partial runs, options that differ
	// between the sides, types present on one side only, test warnings.
	Notes []string
}

// Passed reports whether every check held.
func (g *GateResult) Passed() bool { return len(g.Failed()) == 0 }

// Failed returns the checks that failed.
func (g *GateResult) Failed() []Check {
	var out []Check
	for _, c := range g.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Evaluate compares the current runs against the baseline runs. It fails
// (bad input, exit code 2 in the CLI) when a side is empty, mixes engines
// or workloads, or the sides run different workloads.
func Evaluate(baseline, current []Run, cfg *GateConfig) (*GateResult, error) {
	if cfg == nil {
		cfg = DefaultGateConfig()
	}
	for _, side := range []struct {
		flag string
		runs []Run
	}{{"--baseline", baseline}, {"--current", current}} {
		if len(side.runs) == 0 {
			return nil, fmt.Errorf("%s: no results files", side.flag)
		}
		for _, r := range side.runs[1:] {
			if r.Result.Engine != side.runs[0].Result.Engine || r.Result.Workload != side.runs[0].Result.Workload {
				return nil, fmt.Errorf("%s: %s is %s/%s but %s is %s/%s: one side must be runs of one engine and workload",
					side.flag, side.runs[0].name(), side.runs[0].Result.Engine, side.runs[0].Result.Workload,
					r.name(), r.Result.Engine, r.Result.Workload)
			}
			// A side pools repetitions of one configuration; only the seed
			// may vary (what a statistical gate varies on purpose).
			if k, a, b, ok := runner.ConfigDiff(side.runs[0].Result.Config, r.Result.Config, "seed"); ok {
				return nil, fmt.Errorf("%s: %s and %s differ in --%s (%s vs %s): one side pools runs of one configuration (only the seed may differ)",
					side.flag, side.runs[0].name(), r.name(), k, orDash(a), orDash(b))
			}
		}
	}
	b0, c0 := baseline[0].Result, current[0].Result
	if b0.Workload != c0.Workload {
		return nil, fmt.Errorf("baseline runs workload %s but current runs %s: not comparable", b0.Workload, c0.Workload)
	}
	g := &GateResult{Baseline: baseline, Current: current, Config: cfg, Method: gateMethod(baseline, current)}
	g.Notes = sideNotes(baseline, current)
	for _, t := range sortedKeys(cfg.Types) {
		if t != "*" && !slices.Contains(typeNames(baseline), t) && !slices.Contains(typeNames(current), t) {
			return nil, fmt.Errorf("the gate file sets limits for type %q, which neither side has (types: %s)", t,
				strings.Join(typeNames(append(slices.Clone(baseline), current...)), ", "))
		}
	}
	bTypes, cTypes := typeNames(baseline), typeNames(current)
	for _, t := range bTypes {
		if !slices.Contains(cTypes, t) {
			g.Notes = append(g.Notes, fmt.Sprintf("type %s is in the baseline only: not checked", t))
		}
	}
	for _, t := range cTypes {
		if !slices.Contains(bTypes, t) {
			g.Notes = append(g.Notes, fmt.Sprintf("type %s is in the current runs only: not checked", t))
		}
	}
	var scopes []string
	for _, t := range bTypes {
		if slices.Contains(cTypes, t) {
			scopes = append(scopes, t)
		}
	}
	scopes = append(scopes, "total")
	for _, scope := range scopes {
		limits := cfg.limitsFor(scope)
		for _, m := range gateMetrics {
			limit, ok := limits[m.name]
			if !ok || math.IsNaN(limit) {
				continue
			}
			g.Checks = append(g.Checks, g.check(scope, m.name, limit))
		}
	}
	return g, nil
}

// gateMethod picks exact when every run is simulated and the sides have
// the same seeds.
func gateMethod(baseline, current []Run) Method {
	seeds := func(runs []Run) ([]uint64, bool) {
		var s []uint64
		for _, r := range runs {
			if r.Result.Mode != "simulated" {
				return nil, false
			}
			s = append(s, r.Result.Seed)
		}
		slices.Sort(s)
		return s, true
	}
	bs, bok := seeds(baseline)
	cs, cok := seeds(current)
	switch {
	case bok && cok && slices.Equal(bs, cs):
		return Exact
	case len(baseline) == 1 || len(current) == 1:
		return SingleRun
	default:
		return Statistical
	}
}

// sideNotes warns about partial runs and options that differ between the
// sides (other than the seed, which a statistical gate varies on purpose).
func sideNotes(baseline, current []Run) []string {
	var notes []string
	for _, r := range append(slices.Clone(baseline), current...) {
		if r.Result.Partial {
			notes = append(notes, r.name()+" is partial (interrupted): its figures cover only what finished")
		}
	}
	b, c := baseline[0].Result, current[0].Result
	if b.Engine != c.Engine {
		notes = append(notes, fmt.Sprintf("the sides run different engines (%s vs %s)", b.Engine, c.Engine))
	}
	var diffs []string
	for _, k := range sortedKeys(union(b.Config, c.Config)) {
		if k == "seed" || k == "engine" {
			continue
		}
		bv, bok := b.Config[k]
		cv, cok := c.Config[k]
		switch {
		case bok && cok && bv != cv:
			diffs = append(diffs, fmt.Sprintf("%s %s → %s", k, orDash(bv), orDash(cv)))
		case bok != cok && bok:
			diffs = append(diffs, k+" only in the baseline")
		case bok != cok:
			diffs = append(diffs, k+" only in the current runs")
		}
	}
	if len(diffs) > 0 {
		const most = 6
		more := ""
		if len(diffs) > most {
			more = fmt.Sprintf(" and %d more", len(diffs)-most)
			diffs = diffs[:most]
		}
		notes = append(notes, "options differ between the sides: "+strings.Join(diffs, ", ")+more)
	}
	return notes
}

func union(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// metricValue reads a metric from a summary; ok is false when the summary
// has nothing to measure it on.
func metricValue(s *runner.Summary, metric string) (float64, bool) {
	l := s.LatencyMs
	switch metric {
	case "throughput":
		return s.ThroughputTPS, true
	case "abort_rate":
		return s.AbortRate, s.Attempts > 0
	case "mean":
		return l.Mean, s.Committed > 0
	case "p50":
		return l.P50, s.Committed > 0
	case "p95":
		return l.P95, s.Committed > 0
	case "p99":
		return l.P99, s.Committed > 0
	case "p999":
		return l.P999, s.Committed > 0
	}
	panic("reports: unknown gate metric " + metric)
}

// sample collects a metric over a side's runs.
func sample(runs []Run, scope, metric string) []float64 {
	var xs []float64
	for _, r := range runs {
		s := summaryOf(r.Result, scope)
		if s == nil {
			continue
		}
		if v, ok := metricValue(s, metric); ok {
			xs = append(xs, v)
		}
	}
	return xs
}

// tolerance absorbs float rounding when a change equals its limit exactly.
const tolerance = 1e-9

func (g *GateResult) check(scope, metric string, limit float64) Check {
	c := Check{Scope: scope, Metric: metric, Limit: limit, P: math.NaN()}
	bs, cs := sample(g.Baseline, scope, metric), sample(g.Current, scope, metric)
	if len(bs) == 0 || len(cs) == 0 {
		c.Status = Skipped
		side := "baseline"
		if len(bs) > 0 {
			side = "current runs"
		}
		c.Why = "nothing committed in the " + side
		return c
	}
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = g.Config.Alpha
	bSample, cSample := benchmath.NewSample(bs, &thresholds), benchmath.NewSample(cs, &thresholds)
	c.Base = g.estimate(bSample)
	c.Cur = g.estimate(cSample)
	c.Change = change(metric, c.Base.Center, c.Cur.Center)
	worse := c.Change
	if metric == "throughput" {
		worse = -c.Change
	}
	beyond := worse > limit+tolerance
	if g.Config.FailOnChange {
		beyond = math.Abs(c.Change) > limit+tolerance
	}
	if g.Method == Statistical {
		cmp := benchmath.AssumeNothing.Compare(bSample, cSample)
		c.P = cmp.P
		for _, w := range cmp.Warnings {
			g.statNote(w)
		}
		if beyond && !(cmp.P < cmp.Alpha) {
			c.Why = fmt.Sprintf("not significant (p=%.3f ≥ α=%v)", cmp.P, cmp.Alpha)
			beyond = false
		}
	}
	if beyond {
		c.Status = Fail
	}
	return c
}

// note adds a note once.
func (g *GateResult) note(s string) {
	if !slices.Contains(g.Notes, s) {
		g.Notes = append(g.Notes, s)
	}
}

// statNote keeps a warning of the statistics as a note, except that all
// values are equal, which is no problem here (a deterministic figure).
func (g *GateResult) statNote(w error) {
	if msg := w.Error(); !strings.Contains(msg, "all samples are equal") {
		g.note("statistics: " + msg)
	}
}

// estimate is a side's median and its confidence interval (one run: the
// value itself).
func (g *GateResult) estimate(s *benchmath.Sample) Estimate {
	if len(s.Values) == 1 {
		v := s.Values[0]
		return Estimate{Center: v, Lo: v, Hi: v, N: 1}
	}
	sum := benchmath.AssumeNothing.Summary(s, g.Config.Confidence)
	for _, w := range sum.Warnings {
		g.statNote(w)
	}
	return Estimate{Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, N: len(s.Values)}
}

// change is the relative change for throughput and latencies, the absolute
// one for the abort rate. From zero, any rise is an infinite change.
func change(metric string, base, cur float64) float64 {
	if metric == "abort_rate" {
		return cur - base
	}
	switch {
	case base == cur:
		return 0
	case base == 0:
		return math.Inf(1)
	}
	return (cur - base) / base
}
