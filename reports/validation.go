package reports

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Validation is a `bench validate` report: published figures against the
// model's, one row each, above the runs that produced them.
type Validation struct {
	Figures []Figure
}

// Figure is one published number and what the model gives for it.
type Figure struct {
	Name   string // what is compared, e.g. "single-region UPDATE p99 (ms)"
	Source string // paper, figure or table
	Setup  string // the set-up (results file) the model value comes from
	Paper  float64
	Model  float64
	// Band says what "within" means: "±15%" (magnitude), "±0.1" (a
	// normalised shape) or "0.5–2×" (a law).
	Band string
	Pass bool
}

// Ratio is model / paper (0 when the paper's value is 0).
func (f Figure) Ratio() float64 {
	if f.Paper == 0 {
		return 0
	}
	return f.Model / f.Paper
}

// Passed counts the figures within their band.
func (v *Validation) Passed() int {
	n := 0
	for _, f := range v.Figures {
		if f.Pass {
			n++
		}
	}
	return n
}

// table is the figure table: paper | model | ratio | band | result | source.
func (v *Validation) table() *table {
	t := &table{
		Header:  []string{"figure", "paper", "model", "ratio", "band", "result", "source", "set-up"},
		Numeric: []bool{false, true, true, true, false, false, false, false},
	}
	for _, f := range v.Figures {
		res := "ok"
		if !f.Pass {
			res = "OUT"
		}
		t.Rows = append(t.Rows, []string{f.Name, sig3(f.Paper), sig3(f.Model),
			strconv.FormatFloat(f.Ratio(), 'f', 2, 64), f.Band, res, f.Source, f.Setup})
	}
	return t
}

// WriteValidationTable prints the figure table.
func WriteValidationTable(w io.Writer, v *Validation) error {
	return v.table().write(w)
}

// WriteValidationMarkdown prints the figure table as Markdown (the form
// docs/models.md keeps it in).
func WriteValidationMarkdown(w io.Writer, v *Validation) error {
	var b strings.Builder
	v.table().markdown(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// chart plots model against paper on log-log axes, one point per figure,
// with the line of agreement and the ±15% band around it.
func (v *Validation) chart() chartSpec {
	return chartSpec{
		name: "paper-vs-model", title: "Paper vs model",
		caption: "Each point is one figure of the table above: the published value (x) against the model's (y), log scales. " +
			"The solid line is agreement, the dashed lines ±15%; red points are outside their band.",
		height: 5 * vg.Inch,
		build: func() (*plot.Plot, error) {
			p := newPlot("Paper vs model", "paper", "model")
			var in, out plotter.XYs
			lo, hi := math.Inf(1), 0.0
			for _, f := range v.Figures {
				if f.Paper <= 0 || f.Model <= 0 {
					continue // not on a log scale
				}
				xy := plotter.XY{X: f.Paper, Y: f.Model}
				if f.Pass {
					in = append(in, xy)
				} else {
					out = append(out, xy)
				}
				lo, hi = min(lo, f.Paper, f.Model), max(hi, f.Paper, f.Model)
			}
			if hi == 0 {
				return nil, fmt.Errorf("no figure with positive paper and model values")
			}
			lo, hi = lo/1.5, hi*1.5
			for _, k := range []float64{1, 1.15, 1 / 1.15} {
				l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo * k}, {X: hi, Y: hi * k}})
				if err != nil {
					return nil, err
				}
				l.LineStyle = draw.LineStyle{Color: mutedColor, Width: vg.Points(1)}
				if k != 1 {
					l.LineStyle.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
				}
				p.Add(l)
			}
			for i, pts := range []plotter.XYs{in, out} {
				if len(pts) == 0 {
					continue
				}
				s, err := plotter.NewScatter(pts)
				if err != nil {
					return nil, err
				}
				s.GlyphStyle = draw.GlyphStyle{Color: []color.Color{runColors[0], runColors[2]}[i], Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
				p.Add(s)
				addLegend(p, []string{"within band", "outside band"}[i], s)
			}
			p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
			p.X.Tick.Marker, p.Y.Tick.Marker = logTicks{}, logTicks{}
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
			return p, nil
		},
	}
}
