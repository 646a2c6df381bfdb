package reports

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/sim"
)

// chartSpec is a chart before rendering.
type chartSpec struct {
	name, title, caption string
	build                func() (*plot.Plot, error)
	height               vg.Length
}

// runCharts lists the charts of a report over runs: latency percentiles
// (all transactions, then each type when there are several), throughput and
// p99 over time, abort rate by reason, the latency breakdown, and each run's
// most contended rows. Charts with nothing to show are left out.
func runCharts(runs []Run) []chartSpec {
	var specs []chartSpec
	specs = append(specs, chartSpec{
		name: "latency-percentiles", title: "Latency by percentile, all transactions",
		caption: "End-to-end latency of committed transactions from the intended start, retries included. " +
			"The x axis stretches the tail (HdrHistogram style): each labelled step adds a nine.",
		build: func() (*plot.Plot, error) {
			return percentileChart(runs, "all", "Latency by percentile, all transactions")
		},
	})
	if types := typeNames(runs); len(types) > 1 {
		for _, t := range types {
			title := "Latency by percentile, " + t
			specs = append(specs, chartSpec{
				name: "latency-percentiles-" + fileSafe(t), title: title,
				caption: "As above, for " + t + " transactions only.",
				build:   func() (*plot.Plot, error) { return percentileChart(runs, t, title) },
			})
		}
	}
	if hasTimeline(runs) {
		specs = append(specs,
			chartSpec{
				name: "throughput-over-time", title: "Throughput over time",
				caption: "Committed transactions per second in each timeline interval. A dotted line marks the end of a warm-up, which the summary excludes.",
				build: func() (*plot.Plot, error) {
					return timelineChart(runs, "Throughput over time", "committed per second", tpsOf)
				},
			},
			chartSpec{
				name: "p99-over-time", title: "p99 latency over time",
				caption: "99th percentile latency of the transactions that committed in each interval (intervals where nothing committed are gaps).",
				build:   func() (*plot.Plot, error) { return timelineChart(runs, "p99 latency over time", "p99 (ms)", p99Of) },
			})
	}
	specs = append(specs, availabilityCharts(runs)...)
	if anyAborts(runs) {
		specs = append(specs, chartSpec{
			name: "abort-rate", title: "Abort rate by reason",
			caption: "Aborted attempts as a share of all attempts, split by the reason the engine gave (named as the modelled system names it).",
			build:   func() (*plot.Plot, error) { return abortChart(runs) },
			height:  barHeight(len(runs)),
		})
	}
	if len(breakdownCategories(runs)) > 0 {
		specs = append(specs, chartSpec{
			name: "latency-breakdown", title: "Where the time goes",
			caption: "Mean time per committed transaction by category, as the simulator's ledger attributes it; the stack adds up to the mean latency.",
			build:   func() (*plot.Plot, error) { return breakdownChart(runs) },
			height:  barHeight(len(runs)),
		})
	}
	for i, r := range runs {
		if len(r.Result.TopContended) == 0 {
			continue
		}
		title := "Most contended rows, " + r.Label
		specs = append(specs, chartSpec{
			name: "contended-keys-" + fileSafe(r.Label), title: title,
			caption: "Rows named by the most aborted attempts of " + r.Label + ".",
			build:   func() (*plot.Plot, error) { return contendedChart(r, i, title) },
			height:  barHeight(len(r.Result.TopContended)),
		})
	}
	return specs
}

// barHeight sizes a horizontal bar chart to its number of bars, in whole
// CSS pixels (0.75 pt) so that the PNG is exactly twice the shown size.
func barHeight(bars int) vg.Length {
	h := max(chartHeight*2/3, vg.Length(bars)*vg.Points(22)+vg.Points(90))
	const px = 0.75 // points per CSS pixel
	return vg.Points(math.Ceil(h.Points()/px) * px)
}

// nines are the x ticks of a percentile chart, at 1/(1−q).
var nines = plot.ConstantTicks{
	{Value: 1, Label: "0%"}, {Value: 2, Label: "50%"}, {Value: 10, Label: "90%"},
	{Value: 100, Label: "99%"}, {Value: 1e3, Label: "99.9%"}, {Value: 1e4, Label: "99.99%"},
	{Value: 1e5, Label: "99.999%"}, {Value: 1e6, Label: "99.9999%"},
}

// percentileChart draws each run's latency distribution of a transaction
// type ("all" for every type) against 1/(1−q) on a log axis, so each decade
// is one more nine.
func percentileChart(runs []Run, typ, title string) (*plot.Plot, error) {
	p := newPlot(title, "percentile", "latency (ms)")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = nines
	lo, hi := math.Inf(1), 0.0
	xmax := 10.0
	for i, r := range runs {
		enc, ok := r.Result.Histograms[typ+"/latency"]
		if !ok {
			continue
		}
		h, err := runner.DecodeHistogram(enc)
		if err != nil {
			return nil, fmt.Errorf("%s: histogram %s/latency: %v", r.Label, typ, err)
		}
		n := h.TotalCount()
		if n == 0 {
			continue
		}
		var xys plotter.XYs
		for _, b := range h.CumulativeDistributionWithTicks(5) {
			// The last bracket is q = 100%: place the maximum where the
			// slowest of n values sits, 1/(1−(n−1)/n) = n.
			x := float64(n)
			if b.Quantile < 100 {
				x = min(1/(1-b.Quantile/100), float64(n))
			}
			if len(xys) > 0 && x < xys[len(xys)-1].X {
				x = xys[len(xys)-1].X
			}
			y := float64(b.ValueAt) / 1000
			xys = append(xys, plotter.XY{X: x, Y: y})
			lo, hi = min(lo, y), max(hi, y)
		}
		xmax = max(xmax, float64(n))
		if err := addLine(p, xys, runStyle(runs, i), r.Label); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = 1, xmax
	useLogY(p, lo, hi, 8)
	return p, nil
}

// addLine adds a line with a legend entry.
func addLine(p *plot.Plot, xys plotter.XYs, style draw.LineStyle, label string) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.LineStyle = style
	p.Add(l)
	if label != "" {
		addLegend(p, label, l)
	}
	return nil
}

func hasTimeline(runs []Run) bool {
	for _, r := range runs {
		if len(r.Result.Timeline) > 0 {
			return true
		}
	}
	return false
}

func tpsOf(t runner.TimelinePoint) (float64, bool) { return t.TPS, true }
func p99Of(t runner.TimelinePoint) (float64, bool) { return t.P99Ms, t.Committed > 0 }

// timelineChart draws a timeline figure per run as steps over each
// interval; value may leave an interval out, which breaks the line there.
func timelineChart(runs []Run, title, yLabel string, value func(runner.TimelinePoint) (float64, bool)) (*plot.Plot, error) {
	p := newPlot(title, "time since start (s)", yLabel)
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{}
	var warmups []float64
	for i, r := range runs {
		tl := r.Result.Timeline
		if len(tl) == 0 {
			continue
		}
		if w := r.Result.WarmupS; w > 0 && !slices.Contains(warmups, w) {
			warmups = append(warmups, w)
		}
		end := r.Result.WarmupS + r.Result.DurationS
		var seg plotter.XYs
		first := true
		flush := func() error {
			if len(seg) == 0 {
				return nil
			}
			label := ""
			if first {
				label, first = r.Label, false
			}
			l, err := plotter.NewLine(seg)
			if err != nil {
				return err
			}
			l.LineStyle = runStyle(runs, i)
			l.StepStyle = plotter.PostStep
			p.Add(l)
			if label != "" {
				addLegend(p, label, l)
			}
			seg = nil
			return nil
		}
		for j, t := range tl {
			stop := end
			if j+1 < len(tl) {
				stop = tl[j+1].TS
			}
			v, ok := value(t)
			if !ok || stop <= t.TS {
				if err := flush(); err != nil {
					return nil, err
				}
				continue
			}
			// A post-step line holds each value until the next point, so
			// the interval's end closes it.
			if len(seg) > 0 {
				seg = seg[:len(seg)-1]
			}
			seg = append(seg, plotter.XY{X: t.TS, Y: v}, plotter.XY{X: stop, Y: v})
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	p.Y.Min = 0
	p.Y.Max *= 1.08
	slices.Sort(warmups)
	for _, w := range warmups {
		l, err := plotter.NewLine(plotter.XYs{{X: w, Y: 0}, {X: w, Y: p.Y.Max}})
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: mutedColor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
		p.Add(l)
	}
	p.X.Min = 0
	return p, nil
}

func anyAborts(runs []Run) bool {
	for _, r := range runs {
		if r.Result.Summary.AbortedAttempts > 0 {
			return true
		}
	}
	return false
}

// maxReasons is how many abort reasons get their own colour; the rest are
// drawn together as "other".
const maxReasons = 6

// abortChart draws each run's abort rate (% of attempts) as a horizontal
// bar, stacked by reason.
func abortChart(runs []Run) (*plot.Plot, error) {
	total := map[string]int64{}
	for _, r := range runs {
		for k, v := range r.Result.Summary.AbortReasons {
			total[k] += v
		}
	}
	reasons := rankedReasons(total)
	other := false
	if len(reasons) > maxReasons {
		reasons, other = reasons[:maxReasons-1], true
	}
	series := slices.Clone(reasons)
	if other {
		series = append(series, "other")
	}
	values := make([]plotter.Values, len(series))
	for j := range series {
		values[j] = make(plotter.Values, len(runs))
	}
	for i, r := range runs {
		s := r.Result.Summary
		if s.Attempts == 0 {
			continue
		}
		for k, v := range s.AbortReasons {
			j := slices.Index(reasons, k)
			if j < 0 {
				j = len(series) - 1
			}
			values[j][i] += 100 * float64(v) / float64(s.Attempts)
		}
	}
	return stackedBars(runs, "Abort rate by reason", "aborted attempts (% of attempts)", series, values)
}

// breakdownCategories lists the latency breakdown categories any run has,
// in the simulator's ledger order, then unknown ones alphabetically.
func breakdownCategories(runs []Run) []string {
	seen := map[string]bool{}
	for _, r := range runs {
		for k, v := range r.Result.Summary.BreakdownMs {
			if v != 0 {
				seen[k] = true
			}
		}
	}
	var out []string
	for _, c := range sim.CategoryNames() {
		if seen[c] {
			out = append(out, c)
			delete(seen, c)
		}
	}
	return append(out, sortedKeys(seen)...)
}

// breakdownChart stacks each run's mean time per committed transaction by
// category.
func breakdownChart(runs []Run) (*plot.Plot, error) {
	cats := breakdownCategories(runs)
	values := make([]plotter.Values, len(cats))
	for j, c := range cats {
		values[j] = make(plotter.Values, len(runs))
		for i, r := range runs {
			values[j][i] = r.Result.Summary.BreakdownMs[c]
		}
	}
	return stackedBars(runs, "Where the time goes", "mean per committed transaction (ms)", cats, values)
}

// stackedBars draws one horizontal bar per run (the first at the top),
// stacked by series, with a legend of the series.
func stackedBars(runs []Run, title, xLabel string, series []string, values []plotter.Values) (*plot.Plot, error) {
	p := newPlot(title, xLabel, "")
	p.X.Tick.Marker = linearTicks{}
	labels := make([]string, len(runs))
	n := len(runs)
	for i, r := range runs {
		labels[n-1-i] = r.Label
	}
	var below *plotter.BarChart
	for j, name := range series {
		vs := make(plotter.Values, n)
		for i := range runs {
			vs[n-1-i] = values[j][i]
		}
		b, err := plotter.NewBarChart(vs, vg.Points(14))
		if err != nil {
			return nil, err
		}
		b.Horizontal = true
		b.Color = categoryColors[j%len(categoryColors)]
		b.LineStyle.Width = 0
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		addLegend(p, name, b)
	}
	p.NominalY(labels...)
	p.X.Min = 0
	p.X.Max *= 1.03
	return p, nil
}

// contendedChart draws a run's most contended rows by aborted attempts.
func contendedChart(r Run, i int, title string) (*plot.Plot, error) {
	keys := r.Result.TopContended
	n := len(keys)
	vs := make(plotter.Values, n)
	labels := make([]string, n)
	for i, k := range keys {
		vs[n-1-i] = float64(k.Aborts)
		labels[n-1-i] = clipLabel(keyName(k), 48)
	}
	p := newPlot(title, "aborted attempts naming the row", "")
	p.X.Tick.Marker = linearTicks{integer: true}
	b, err := plotter.NewBarChart(vs, vg.Points(12))
	if err != nil {
		return nil, err
	}
	b.Horizontal = true
	b.Color = engineColor(r.Result.Engine, nil)
	b.LineStyle.Width = 0
	p.Add(b)
	p.NominalY(labels...)
	p.X.Min = 0
	p.X.Max *= 1.05
	return p, nil
}
