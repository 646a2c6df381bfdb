package reports

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/txbench/txbench/runner"
)

// fig is the figures of a made-up run: the same for every transaction type
// and the total, so a check's outcome reads straight from them.
type fig struct {
	tps, p50, p99, abort float64
}

func fakeRun(path string, seed uint64, mode string, f fig) Run {
	s := runner.Summary{
		Committed: int64(f.tps * 10), Attempts: int64(f.tps * 10 / (1 - f.abort)),
		AbortRate: f.abort, ThroughputTPS: f.tps,
		LatencyMs: runner.Latency{Mean: f.p50, P50: f.p50, P95: f.p99, P99: f.p99, P999: f.p99, Max: f.p99},
	}
	return Run{Path: path, Result: &runner.Result{
		Schema: runner.ResultSchema, Engine: "occ", Workload: "ycsb-a", Seed: seed, Mode: mode,
		Config:   map[string]string{"clients": "16", "seed": fmt.Sprint(seed)},
		Summary:  s,
		TxnTypes: []runner.TxnSummary{{Name: "read", Summary: s}, {Name: "update", Summary: s}},
	}}
}

var base = fig{tps: 1000, p50: 2, p99: 10, abort: 0.02}

func failedNames(g *GateResult) []string {
	var out []string
	for _, c := range g.Failed() {
		out = append(out, c.Scope+"/"+c.Metric)
	}
	return out
}

func TestGateIdenticalSimulatedRunsPassExactly(t *testing.T) {
	b := []Run{fakeRun("b.json", 1, "simulated", base)}
	c := []Run{fakeRun("c.json", 1, "simulated", base)}
	g, err := Evaluate(b, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Method != Exact || !g.Passed() || len(g.Checks) != 12 {
		t.Fatalf("method %v, passed %v, %d checks", g.Method, g.Passed(), len(g.Checks))
	}
}

// TestGateLimits checks each limit at and just past its edge, in both
// directions, in regression and in change mode.
func TestGateLimits(t *testing.T) {
	cases := []struct {
		name     string
		cur      fig
		onChange bool
		want     []string // failed checks (total only: the types fail alike)
	}{
		{"throughput −5% is at the limit", fig{950, 2, 10, 0.02}, false, nil},
		{"throughput −6% fails", fig{940, 2, 10, 0.02}, false, []string{"throughput"}},
		{"throughput +50% is an improvement", fig{1500, 2, 10, 0.02}, false, nil},
		{"throughput +50% fails when any change fails", fig{1500, 2, 10, 0.02}, true, []string{"throughput"}},
		{"p50 +10% is at the limit", fig{1000, 2.2, 10, 0.02}, false, nil},
		{"p50 +15% fails", fig{1000, 2.3, 10, 0.02}, false, []string{"p50"}},
		{"p99 +25% fails", fig{1000, 2, 12.5, 0.02}, false, []string{"p99"}},
		{"p99 −30% is an improvement", fig{1000, 2, 7, 0.02}, false, nil},
		{"p99 −30% fails when any change fails", fig{1000, 2, 7, 0.02}, true, []string{"p99"}},
		{"abort rate +1pp is at the limit", fig{1000, 2, 10, 0.03}, false, nil},
		{"abort rate +2pp fails", fig{1000, 2, 10, 0.04}, false, []string{"abort_rate"}},
		{"everything worse", fig{500, 4, 40, 0.5}, false, []string{"throughput", "p50", "p99", "abort_rate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultGateConfig()
			cfg.FailOnChange = c.onChange
			g, err := Evaluate([]Run{fakeRun("b", 1, "simulated", base)}, []Run{fakeRun("c", 1, "simulated", c.cur)}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range g.Failed() {
				if f.Scope == "total" {
					got = append(got, f.Metric)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("failed %v, want %v", got, c.want)
			}
			if g.Passed() != (len(c.want) == 0) {
				t.Errorf("passed %v with failures %v", g.Passed(), failedNames(g))
			}
		})
	}
}

// runsOf makes one run per throughput value, p99 proportional to it, with
// seeds from seed0 (different seeds per side: no exact comparison).
func runsOf(prefix string, seed0 uint64, tps ...float64) []Run {
	var out []Run
	for i, x := range tps {
		out = append(out, fakeRun(fmt.Sprintf("%s%d.json", prefix, i+1), seed0+uint64(i), "simulated",
			fig{tps: x, p50: 2, p99: 10 * 1000 / x, abort: 0.02}))
	}
	return out
}

func TestGateNoisyButEqualRunsPass(t *testing.T) {
	// The same distribution on both sides; by chance the current median is
	// 6% lower, beyond the 5% limit, but the U test sees no difference.
	b := runsOf("a", 1, 100, 92, 108, 95, 105)
	c := runsOf("b", 11, 93, 101, 90, 107, 94)
	g, err := Evaluate(b, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Method != Statistical {
		t.Fatalf("method %v", g.Method)
	}
	if !g.Passed() {
		t.Fatalf("noise failed the gate: %v", failedNames(g))
	}
	var tps Check
	for _, c := range g.Checks {
		if c.Scope == "total" && c.Metric == "throughput" {
			tps = c
		}
	}
	if !(tps.Change < -0.05) || !strings.Contains(tps.Why, "not significant") || !(tps.P > 0.05) {
		t.Errorf("throughput check %+v: want a change beyond the limit passed as not significant", tps)
	}
	if tps.Base.Center != 100 || tps.Cur.Center != 94 || !(tps.Base.Lo <= 100 && tps.Base.Hi >= 100) {
		t.Errorf("estimates %+v %+v", tps.Base, tps.Cur)
	}
}

func TestGateRealRegressionAcrossNoisyRunsFails(t *testing.T) {
	b := runsOf("a", 1, 100, 97, 103, 99, 101)
	c := runsOf("b", 11, 80, 83, 78, 81, 79) // −20%, well outside the noise
	g, err := Evaluate(b, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := failedNames(g)
	want := []string{"read/throughput", "read/p99", "update/throughput", "update/p99", "total/throughput", "total/p99"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("failed %v, want %v", got, want)
	}
	for _, f := range g.Failed() {
		if !(f.P < 0.05) {
			t.Errorf("%s/%s failed with p=%v", f.Scope, f.Metric, f.P)
		}
	}
}

func TestGateWithTooFewRunsCannotFailAndSaysSo(t *testing.T) {
	g, err := Evaluate(runsOf("a", 1, 100, 101), runsOf("b", 11, 50, 51), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Passed() {
		t.Fatalf("failed %v", failedNames(g))
	}
	if !strings.Contains(strings.Join(g.Notes, "\n"), "samples") {
		t.Errorf("notes %q do not warn about the sample size", g.Notes)
	}
}

func TestGateSameSeedsOnBothSidesCompareExactly(t *testing.T) {
	// Several simulated runs per side with the same seeds: deterministic,
	// so even a small change beyond the limit fails without a test.
	b := runsOf("a", 1, 100, 100, 100)
	c := runsOf("b", 1, 90, 90, 90)
	g, err := Evaluate(b, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Method != Exact || g.Passed() {
		t.Fatalf("method %v passed %v", g.Method, g.Passed())
	}
}

func TestGateTypesAndScopes(t *testing.T) {
	cfg, err := ParseGateConfig([]byte(`
overall: {throughput_drop: 50%}
types:
  "*":    {p99_increase: 10%}
  update: {p99_increase: off, p50_increase: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	cur := base
	cur.p99 *= 1.2
	cur.p50 *= 1.01
	g, err := Evaluate([]Run{fakeRun("b", 1, "simulated", base)}, []Run{fakeRun("c", 1, "simulated", cur)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(failedNames(g)); got != "[read/p99 update/p50]" {
		t.Errorf("failed %s", got)
	}
	var checks []string
	for _, c := range g.Checks {
		checks = append(checks, c.Scope+"/"+c.Metric)
	}
	if got := fmt.Sprint(checks); got != "[read/p99 update/p50 total/throughput]" {
		t.Errorf("checks %s", got)
	}
}

func TestGateSkipsWhatCannotBeMeasured(t *testing.T) {
	cur := fakeRun("c", 1, "simulated", base)
	cur.Result.TxnTypes[1].Committed = 0 // no update committed: no latency
	g, err := Evaluate([]Run{fakeRun("b", 1, "simulated", base)}, []Run{cur}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Checks {
		latency := c.Metric == "p50" || c.Metric == "p99"
		if want := c.Scope == "update" && latency; (c.Status == Skipped) != want {
			t.Errorf("%s/%s status %v", c.Scope, c.Metric, c.Status)
		}
	}
}

func TestGateRejectsIncomparableSides(t *testing.T) {
	other := fakeRun("x.json", 1, "simulated", base)
	other.Result.Workload = "tpcc"
	otherEngine := fakeRun("y.json", 1, "simulated", base)
	otherEngine.Result.Engine = "2pc"
	b := fakeRun("b.json", 1, "simulated", base)
	cases := []struct {
		name     string
		base     []Run
		cur      []Run
		wantErr  string
		wantNote string
	}{
		{"different workloads", []Run{b}, []Run{other}, "not comparable", ""},
		{"a side mixes engines", []Run{b, otherEngine}, []Run{b}, "--baseline: b.json is occ/ycsb-a but y.json is 2pc/ycsb-a", ""},
		{"no current runs", []Run{b}, nil, "--current: no results files", ""},
		{"different engines across sides are allowed, with a note", []Run{b}, []Run{otherEngine}, "", "different engines"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := Evaluate(c.base, c.cur, nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(g.Notes, "\n"), c.wantNote) {
				t.Errorf("notes %q lack %q", g.Notes, c.wantNote)
			}
		})
	}
}

func TestParseGateConfig(t *testing.T) {
	good := []struct {
		name, yaml string
		check      func(*GateConfig) error
	}{
		{"every kind of value", `
alpha: 0.01
confidence: 0.9
fail_on: change
overall: {throughput_drop: 5%, p50_increase: 0.1, p999_increase: "20 %", abort_rate_increase: 2pp}
types: {"*": {mean_increase: 0}, update: {abort_rate_increase: 0.005, p95_increase: off}}
`, func(c *GateConfig) error {
			if c.Alpha != 0.01 || c.Confidence != 0.9 || !c.FailOnChange {
				return fmt.Errorf("alpha %v confidence %v change %v", c.Alpha, c.Confidence, c.FailOnChange)
			}
			o := c.Overall
			if o["throughput"] != 0.05 || o["p50"] != 0.1 || math.Abs(o["p999"]-0.2) > 1e-12 || o["abort_rate"] != 0.02 {
				return fmt.Errorf("overall %v", o)
			}
			u := c.limitsFor("update")
			if u["mean"] != 0 || u["abort_rate"] != 0.005 || !math.IsNaN(u["p95"]) {
				return fmt.Errorf("update %v", u)
			}
			return nil
		}},
		{"defaults for alpha and mode", `overall: {p99_increase: 10%}`, func(c *GateConfig) error {
			if c.Alpha != 0.05 || c.Confidence != 0.95 || c.FailOnChange || len(c.Types) != 0 {
				return fmt.Errorf("%+v", c)
			}
			return nil
		}},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseGateConfig([]byte(c.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.check(cfg); err != nil {
				t.Error(err)
			}
		})
	}
	bad := []struct{ name, yaml, want string }{
		{"empty", "", "no limits"},
		{"malformed", "overall: {p99_increase: [", "malformed"},
		{"unknown top-level field", "thresholds: {}\noverall: {p99_increase: 1%}", "thresholds"},
		{"unknown limit", "overall: {p98_increase: 1%}", `overall: unknown limit "p98_increase"`},
		{"not a number", "overall: {p99_increase: lots}", "overall.p99_increase"},
		{"negative", "overall: {p99_increase: -5%}", "must not be negative"},
		{"percent for the abort rate", "overall: {abort_rate_increase: 2%}", "percentage points"},
		{"points for a relative limit", "types: {'*': {p99_increase: 2pp}}", "types.*.p99_increase"},
		{"a list as a limit", "overall: {p99_increase: [1, 2]}", "overall.p99_increase"},
		{"alpha out of range", "alpha: 1.5\noverall: {p99_increase: 1%}", "alpha"},
		{"bad mode", "fail_on: sometimes\noverall: {p99_increase: 1%}", "fail_on"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseGateConfig([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
}

// TestGateOutputGolden fixes the three output formats: an exact gate over
// the fixtures (region-3az as the baseline, us-3 as the current run: a
// large, real regression) and a statistical one.
func TestGateOutputGolden(t *testing.T) {
	runs := loadFixtures(t)
	exact, err := Evaluate(runs[:1], runs[1:], nil)
	if err != nil {
		t.Fatal(err)
	}
	stat, err := Evaluate(runsOf("a", 1, 100, 97, 103, 99, 101), runsOf("b", 11, 80, 83, 78, 81, 79), nil)
	if err != nil {
		t.Fatal(err)
	}
	pass, err := Evaluate(runs[:1], runs[:1], nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		g    *GateResult
	}{{"gate-exact", exact}, {"gate-statistical", stat}, {"gate-pass", pass}} {
		var text, md, gh strings.Builder
		if err := c.g.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if err := c.g.WriteMarkdown(&md); err != nil {
			t.Fatal(err)
		}
		if err := c.g.WriteAnnotations(&gh); err != nil {
			t.Fatal(err)
		}
		golden(t, c.name+".txt.golden", text.String())
		golden(t, c.name+".md.golden", md.String())
		golden(t, c.name+".github.golden", gh.String())
	}
}

func TestAnnotationEscaping(t *testing.T) {
	if got := escapeProperty("a:b,c%d\ne"); got != "a%3Ab%2Cc%25d%0Ae" {
		t.Errorf("escapeProperty: %q", got)
	}
	if got := escapeData("50% done\r\nnext: x,y"); got != "50%25 done%0D%0Anext: x,y" {
		t.Errorf("escapeData: %q", got)
	}
}

// A side pools repetitions of one configuration: runs whose options differ
// (beyond the seed) are refused, naming the option; so are limits for a
// transaction type neither side has (the help's own new-order example).
func TestGateRefusesMixedOptionsAndUnknownLimits(t *testing.T) {
	a, b := fakeRun("a.json", 1, "real", base), fakeRun("b.json", 2, "real", base)
	b.Result.Config["clients"] = "64"
	_, err := Evaluate([]Run{fakeRun("base.json", 1, "real", base)}, []Run{a, b}, nil)
	if err == nil || !strings.Contains(err.Error(), "--current: a.json and b.json differ in --clients (16 vs 64)") {
		t.Fatalf("mixed options: %v", err)
	}
	// Seeds alone may differ.
	b.Result.Config["clients"] = "16"
	if _, err := Evaluate([]Run{fakeRun("base.json", 1, "real", base)}, []Run{a, b}, nil); err != nil {
		t.Fatalf("runs that differ only in the seed: %v", err)
	}
	cfg, err := ParseGateConfig([]byte("types:\n  new-order: {p99_increase: 10%}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Evaluate([]Run{fakeRun("b.json", 1, "simulated", base)}, []Run{fakeRun("c.json", 1, "simulated", base)}, cfg)
	if err == nil || !strings.Contains(err.Error(), `limits for type "new-order", which neither side has (types: read, update)`) {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := ParseGateConfig([]byte("overall: {p42_increase: 10%}\n")); err == nil || !strings.Contains(err.Error(), `unknown limit "p42_increase"`) {
		t.Fatalf("unknown metric: %v", err)
	}
}
