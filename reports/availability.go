package reports

import (
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/txbench/txbench/runner"
)

// faultShade fills a fault's span on availability charts.
var faultShade = color.NRGBA{0xd6, 0x27, 0x28, 0x2a}

// availabilityCharts: one chart per run with faults, commits per second of
// each client group at the availability resolution, faults shaded.
func availabilityCharts(runs []Run) []chartSpec {
	var specs []chartSpec
	for _, r := range runs {
		a := r.Result.Availability
		if a == nil {
			continue
		}
		title := "Availability, " + r.Label
		specs = append(specs, chartSpec{
			name: "availability-" + fileSafe(r.Label), title: title,
			caption: "Committed transactions per second of each client group in " + formatSecs(a.IntervalS) +
				" intervals; shaded spans are the faults (to the end of the run when permanent), the dashed line failed attempts per second, all groups.",
			build: func() (*plot.Plot, error) { return availabilityChart(r.Result, title) },
		})
	}
	return specs
}

func formatSecs(s float64) string {
	return strconv.FormatFloat(s*1000, 'f', -1, 64) + " ms"
}

func availabilityChart(res *runner.Result, title string) (*plot.Plot, error) {
	a := res.Availability
	p := newPlot(title, "time since start (s)", "per second")
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{}
	end := res.WarmupS + res.DurationS
	rate := func(n int64) float64 { return float64(n) / a.IntervalS }
	steps := func(pts []runner.AvailPoint, v func(runner.AvailPoint) int64) plotter.XYs {
		xy := make(plotter.XYs, 0, 2*len(pts))
		for _, pt := range pts {
			stop := min(pt.TS+a.IntervalS, end)
			xy = append(xy, plotter.XY{X: pt.TS, Y: rate(v(pt))}, plotter.XY{X: stop, Y: rate(v(pt))})
		}
		return xy
	}
	var lines []*plotter.Line
	ymax := 0.0
	for i, g := range a.Groups {
		xy := steps(a.Timeline[g], func(p runner.AvailPoint) int64 { return p.Committed })
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		// Groups (places), not runs: colours in order, as before.
		l.LineStyle = draw.LineStyle{Color: runColors[i%len(runColors)], Width: vg.Points(1.2)}
		lines = append(lines, l)
		for _, pt := range xy {
			ymax = max(ymax, pt.Y)
		}
	}
	failed, err := plotter.NewLine(steps(a.Timeline["all"], func(p runner.AvailPoint) int64 { return p.Aborted }))
	if err != nil {
		return nil, err
	}
	failed.LineStyle = draw.LineStyle{Color: mutedColor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	for _, pt := range failed.XYs {
		ymax = max(ymax, pt.Y)
	}
	ymax = max(ymax*1.08, 1)
	for _, f := range a.Faults {
		stop := end
		if f.EndS != nil {
			stop = *f.EndS
		}
		poly, err := plotter.NewPolygon(plotter.XYs{{X: f.StartS, Y: 0}, {X: stop, Y: 0}, {X: stop, Y: ymax}, {X: f.StartS, Y: ymax}})
		if err != nil {
			return nil, err
		}
		poly.Color = faultShade
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	for i, l := range lines {
		p.Add(l)
		addLegend(p, a.Groups[i], l)
	}
	p.Add(failed)
	addLegend(p, "failed attempts", failed)
	p.X.Min, p.X.Max = 0, end
	p.Y.Min, p.Y.Max = 0, ymax
	return p, nil
}
