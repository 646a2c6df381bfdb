package reports

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/txbench/txbench/runner"
)

// Sweep is a parameter sweep: each engine at each value of one option.
type Sweep struct {
	Param   string
	Values  []string
	Engines []string
	// Results[e][v] is Engines[e] at Values[v]; nil where the run is missing
	// (an interrupted sweep).
	Results [][]*runner.Result
}

// NewSweep arranges runs (labelled by SweepPlan or not) into a sweep over
// param: one series per engine, one point per value of the option, values
// in the order they first appear (numeric values sorted). It fails when a
// run lacks the option or two runs of an engine share a value.
func NewSweep(param string, runs []Run) (*Sweep, error) {
	s := &Sweep{Param: param}
	for _, r := range runs {
		v, ok := r.Result.Config[param]
		if !ok {
			return nil, fmt.Errorf("%s: the run has no option %q to sweep over", r.name(), param)
		}
		if !slices.Contains(s.Values, v) {
			s.Values = append(s.Values, v)
		}
		if !slices.Contains(s.Engines, r.Result.Engine) {
			s.Engines = append(s.Engines, r.Result.Engine)
		}
	}
	if xs, ok := numericValues(s.Values); ok {
		idx := make([]int, len(xs))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(xs[a], xs[b]) })
		sorted := make([]string, len(idx))
		for i, j := range idx {
			sorted[i] = s.Values[j]
		}
		s.Values = sorted
	}
	s.Results = make([][]*runner.Result, len(s.Engines))
	for e := range s.Results {
		s.Results[e] = make([]*runner.Result, len(s.Values))
	}
	for _, r := range runs {
		e := slices.Index(s.Engines, r.Result.Engine)
		v := slices.Index(s.Values, r.Result.Config[param])
		if s.Results[e][v] != nil {
			return nil, fmt.Errorf("%s: a second %s run with %s=%s (a sweep has one run per engine and value)",
				r.name(), r.Result.Engine, param, r.Result.Config[param])
		}
		s.Results[e][v] = r.Result
	}
	return s, nil
}

// name is how messages refer to a run: its file, else its label.
func (r *Run) name() string {
	if r.Path != "" {
		return r.Path
	}
	return r.Label
}

// numericValues parses every value as a number, if they all are.
func numericValues(vs []string) ([]float64, bool) {
	xs := make([]float64, len(vs))
	for i, v := range vs {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		xs[i] = x
	}
	return xs, true
}

// table is the sweep at a glance: a row per engine, a column per value,
// each cell throughput · p99 · abort rate.
func (s *Sweep) table() *table {
	t := &table{Header: []string{"engine"}, Numeric: []bool{false}}
	for _, v := range s.Values {
		t.Header = append(t.Header, s.Param+"="+v)
		t.Numeric = append(t.Numeric, true)
	}
	for e, name := range s.Engines {
		row := []string{name}
		for v := range s.Values {
			r := s.Results[e][v]
			if r == nil {
				row = append(row, "-")
				continue
			}
			sum := r.Summary
			cell := fmt.Sprintf("%s · %s · %s", formatRate(sum.ThroughputTPS), formatMs(sum.LatencyMs.P99, sum.Committed), formatPct(sum.AbortRate))
			if r.Partial {
				cell += " (partial)"
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// WriteTable prints the sweep table: a row per engine, a column per value,
// each cell committed per second · p99 ms · abort rate.
func (s *Sweep) WriteTable(w io.Writer) error {
	return s.table().write(w)
}

// sweepMetric is one curve family of a sweep report.
type sweepMetric struct {
	name, title, yLabel, caption string
	value                        func(*runner.Summary) (float64, bool)
	logY                         bool
}

var sweepMetrics = []sweepMetric{
	{
		name: "sweep-throughput", title: "Throughput", yLabel: "committed per second",
		caption: "Committed transactions per measured second (goodput) at each value.",
		value:   func(s *runner.Summary) (float64, bool) { return s.ThroughputTPS, true },
	},
	{
		name: "sweep-p99", title: "p99 latency", yLabel: "p99 (ms)",
		caption: "99th percentile end-to-end latency of committed transactions, retries included (log scale when the values span more than a decade).",
		value:   func(s *runner.Summary) (float64, bool) { return s.LatencyMs.P99, s.Committed > 0 },
		logY:    true,
	},
	{
		name: "sweep-abort-rate", title: "Abort rate", yLabel: "aborted attempts (%)",
		caption: "Aborted attempts as a share of all attempts.",
		value:   func(s *runner.Summary) (float64, bool) { return 100 * s.AbortRate, s.Attempts > 0 },
	},
}

func (s *Sweep) charts() []chartSpec {
	var specs []chartSpec
	for _, m := range sweepMetrics {
		title := m.title + " by " + s.Param
		specs = append(specs, chartSpec{
			name: m.name, title: title, caption: m.caption,
			build: func() (*plot.Plot, error) { return s.chart(m, title) },
		})
	}
	return specs
}

// chart draws a metric against the parameter, a line per engine. Numeric
// values sit at their value; others (topology names) are evenly spaced.
func (s *Sweep) chart(m sweepMetric, title string) (*plot.Plot, error) {
	p := newPlot(title, s.Param, m.yLabel)
	xs, numeric := numericValues(s.Values)
	if !numeric {
		xs = make([]float64, len(s.Values))
		ticks := make(plot.ConstantTicks, len(s.Values))
		for i, v := range s.Values {
			xs[i] = float64(i)
			ticks[i] = plot.Tick{Value: float64(i), Label: v}
		}
		p.X.Tick.Marker = ticks
	} else {
		p.X.Tick.Marker = linearTicks{}
	}
	lo, hi := math.Inf(1), 0.0
	for e, name := range s.Engines {
		var xys plotter.XYs
		for v := range s.Values {
			r := s.Results[e][v]
			if r == nil {
				continue
			}
			y, ok := m.value(&r.Summary)
			if !ok {
				continue
			}
			xys = append(xys, plotter.XY{X: xs[v], Y: y})
			lo, hi = min(lo, y), max(hi, y)
		}
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		c := engineColor(name, s.Engines)
		l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.6)}
		pts.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(l, pts)
		addLegend(p, name, l, pts)
	}
	if !numeric {
		// Room for the first and last names beside the plot's edges.
		p.X.Min, p.X.Max = -0.25, float64(len(s.Values)-1)+0.25
	}
	if m.logY {
		useLogY(p, lo, hi, 10)
	} else {
		p.Y.Tick.Marker = linearTicks{}
	}
	if _, isLog := p.Y.Scale.(plot.LogScale); !isLog {
		p.Y.Min = 0
		p.Y.Max *= 1.08 // room above the highest point's marker
	} else {
		p.Y.Min /= 1.15
		p.Y.Max *= 1.15
	}
	return p, nil
}
