package reports

import (
	"fmt"
	"github.com/txbench/txbench/runner"
	"testing"

	"gonum.org/v1/plot"
)

func TestTickers(t *testing.T) {
	cases := []struct {
		name   string
		ticker plot.Ticker
		lo, hi float64
		want   string // the labelled ticks
	}{
		{"linear, a count axis", linearTicks{integer: true}, 0, 270, "[0 50 100 150 200 250]"},
		{"linear, few counts: no fractions", linearTicks{integer: true}, 0, 2.1, "[0 1 2]"},
		{"linear, fractions", linearTicks{}, 0, 1.1, "[0 0.2 0.4 0.6 0.8 1]"},
		{"linear, throughput", linearTicks{}, 0, 9800, "[0 2000 4000 6000 8000]"},
		{"linear, an offset range", linearTicks{}, 0.95, 1.32, "[1 1.1 1.2 1.3]"},
		{"log, two decades: 1-2-5", logTicks{}, 0.8, 230, "[1 2 5 10 20 50 100 200]"},
		{"log, under a decade", logTicks{}, 0.8, 6.6, "[1 2 3 5]"},
		{"log, a narrow range", logTicks{}, 1.1, 2.9, "[2]"},
		{"log, a narrow range with room", logTicks{}, 0.95, 2.9, "[1 2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, tk := range c.ticker.Ticks(c.lo, c.hi) {
				if tk.Label != "" {
					got = append(got, tk.Label)
				}
			}
			if fmt.Sprint(got) != c.want {
				t.Errorf("labels %v, want %s", got, c.want)
			}
		})
	}
}

// An engine has its colour whatever the order or number of runs, so a
// sweep's report and a comparison of the same files agree.
func TestEngineColourIsFixed(t *testing.T) {
	run := func(engine string) Run { return Run{Result: &runner.Result{Engine: engine}} }
	a := []Run{run("occ"), run("2pc")}
	b := []Run{run("2pc"), run("sharded"), run("occ")}
	if runStyle(a, 0).Color != runStyle(b, 2).Color || runStyle(a, 1).Color != runStyle(b, 0).Color {
		t.Errorf("engine colours depend on the order of the runs")
	}
	if runStyle(a, 0).Color != engineColor("occ", []string{"2pc", "occ"}) {
		t.Errorf("a run's line and a sweep's curve of occ differ in colour")
	}
	// Runs of one engine: the same hue, different shades.
	c := []Run{run("occ"), run("occ"), run("occ")}
	if runStyle(c, 0).Color == runStyle(c, 1).Color || runStyle(c, 1).Color == runStyle(c, 2).Color {
		t.Errorf("runs of one engine share a shade: %v", []any{runStyle(c, 0).Color, runStyle(c, 1).Color, runStyle(c, 2).Color})
	}
}
