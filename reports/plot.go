package reports

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"

	"git.sr.ht/~sbinet/gg"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart is one rendered chart of a report.
type Chart struct {
	// Name is the file name the chart gets with --png, without ".png".
	Name  string
	Title string
	// Caption says how to read the chart.
	Caption string
	PNG     []byte
	// Width and Height are the image's size in CSS pixels (the PNG has
	// twice as many, for sharp text on high-density screens).
	Width, Height int
}

// Chart geometry: 10 × 3.8 inches shown at 96 CSS pixels per inch (960
// pixels, the report's text width), rendered at 192 dpi for sharp text on
// high-density screens and slides.
const (
	chartDPI    = 192
	cssDPI      = 96
	chartWidth  = 10 * vg.Inch
	chartHeight = 3.8 * vg.Inch
)

// sans is the charts' typeface: gonum embeds the Liberation fonts, so charts
// look the same on every machine and need nothing installed.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// runColors tells runs apart in every chart of a report (Tableau 10: a
// palette built for categorical data, distinguishable in grey scale too).
var runColors = []color.NRGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff},
	{0x76, 0xb7, 0xb2, 0xff}, {0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff},
	{0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff}, {0x9c, 0x75, 0x5f, 0xff},
	{0xba, 0xb0, 0xac, 0xff},
}

// categoryColors fill stacked bars (breakdown categories, abort reasons):
// Okabe–Ito, safe for colour-blind readers, so stacks never look like runs.
var categoryColors = []color.NRGBA{
	{0x00, 0x72, 0xb2, 0xff}, {0xe6, 0x9f, 0x00, 0xff}, {0x00, 0x9e, 0x73, 0xff},
	{0xcc, 0x79, 0xa7, 0xff}, {0x56, 0xb4, 0xe9, 0xff}, {0xd5, 0x5e, 0x00, 0xff},
	{0xf0, 0xe4, 0x42, 0xff}, {0x99, 0x99, 0x99, 0xff}, {0x33, 0x33, 0x33, 0xff},
	{0x88, 0x44, 0x00, 0xff},
}

var (
	gridColor  = color.NRGBA{0xdd, 0xdd, 0xdd, 0xff}
	mutedColor = color.NRGBA{0x88, 0x88, 0x88, 0xff}
)

// engineColors gives every engine one colour in every chart of every report
// (a sweep's curves, a comparison's lines, the contended-rows bars), so
// that "occ" looks the same in `bench sweep`'s report and in `bench report
// --sweep` of the same files. Engines not listed take runColors from the
// fifth on, in the order they appear.
var engineColors = map[string]color.NRGBA{
	"occ": runColors[0], "2pc": runColors[1], "sharded": runColors[2], "pg": runColors[4],
}

// engineColor is engine's colour; others is the engines of the report in
// order of appearance, for engines without a fixed colour.
func engineColor(engine string, others []string) color.NRGBA {
	if c, ok := engineColors[engine]; ok {
		return c
	}
	var unknown []string
	for _, e := range others {
		if _, ok := engineColors[e]; !ok && !slices.Contains(unknown, e) {
			unknown = append(unknown, e)
		}
	}
	i := max(slices.Index(unknown, engine), 0)
	return runColors[(5+i)%len(runColors)]
}

// runStyle is run i's line: its engine's colour; runs of one engine are
// told apart by shade (darker to lighter in the order given) and, past
// three of them, by a dash pattern as well.
func runStyle(runs []Run, i int) draw.LineStyle {
	var engines []string
	j, n := 0, 0
	for k, r := range runs {
		engines = append(engines, r.Result.Engine)
		if r.Result.Engine == runs[i].Result.Engine {
			if k < i {
				j++
			}
			n++
		}
	}
	s := draw.LineStyle{Color: shade(engineColor(runs[i].Result.Engine, engines), j, n), Width: vg.Points(1.6)}
	if n > 3 {
		switch j % 3 {
		case 1:
			s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		case 2:
			s.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
		}
	}
	return s
}

// shade is c for the j-th of n runs of one engine: from darker (the first)
// to lighter (the last); c itself when the engine has one run.
func shade(c color.NRGBA, j, n int) color.NRGBA {
	if n < 2 {
		return c
	}
	f := -0.45 + 0.9*float64(j)/float64(n-1) // -0.45 (darker) … +0.45 (lighter)
	mix := func(v uint8) uint8 {
		if f < 0 {
			return uint8(float64(v) * (1 + f))
		}
		return uint8(float64(v) + (255-float64(v))*f)
	}
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), c.A}
}

// newPlot returns a plot in the house style: sans-serif text, light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 13)
	p.Title.Padding = vg.Points(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 11)
		a.Tick.Label.Font = font.From(sans, 9.5)
		a.LineStyle.Color = mutedColor
		a.Tick.LineStyle.Color = mutedColor
		a.Padding = vg.Points(2)
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.TextStyle.Font = font.From(sans, 9.5)
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Legend.Padding = vg.Points(3)
	g := plotter.NewGrid()
	g.Vertical.Color = gridColor
	g.Horizontal.Color = gridColor
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Width = vg.Points(0.5)
	p.Add(g)
	return p
}

// render draws p as a PNG of w × h, its legend (if any) to the right of
// the plot area, where it never hides data.
func render(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	// The canvas draws on this image directly: given only a size, vgimg
	// makes an image and then gg copies it into one of its own (a quarter
	// of a report's render time). The image has the pixels UseWH would
	// give; the canvas then takes that whole-pixel size, within half a
	// pixel of w × h (anti-aliasing moves by a fraction of a pixel).
	img := image.NewRGBA(image.Rect(0, 0, int(w/vg.Inch*chartDPI+0.5), int(h/vg.Inch*chartDPI+0.5)))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt() // what vgimg does to a context of its own
	ctx.InvertY()
	c := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(chartDPI))
	dc := draw.New(c)
	leg := p.Legend
	if lw := leg.Rectangle(dc).Size().X; lw > 0 {
		p.Legend = plot.NewLegend() // drawn below, outside the plot area
		// Glyphs drawn at this resolution can come out a little wider than
		// the font metrics say: keep a margin at the image's right edge.
		const gap, margin = vg.Length(12), vg.Length(6)
		lw += margin
		p.Draw(draw.Crop(dc, 0, -(lw + gap), 0, 0))
		top := vg.Length(0)
		if p.Title.Text != "" {
			top = p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding + vg.Points(4)
		}
		leg.Top, leg.Left = true, true
		leg.XOffs, leg.YOffs = 0, 0
		leg.Draw(draw.Crop(dc, dc.Size().X-lw, 0, 0, -top))
		p.Legend = leg
	} else {
		p.Draw(dc)
	}
	var buf bytes.Buffer
	// Fast compression: encoding, not drawing, dominates the render time,
	// and the size difference to the default level is small for charts.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, fmt.Errorf("rendering %q: %w", p.Title.Text, err)
	}
	return buf.Bytes(), nil
}

// addLegend adds a legend entry, its text clipped so the legend leaves the
// plot most of the width.
func addLegend(p *plot.Plot, label string, thumbs ...plot.Thumbnailer) {
	p.Legend.Add(clipLabel(label, 28), thumbs...)
}

// clipLabel shortens a label to n runes.
func clipLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// cssPixels converts a chart length to CSS pixels.
func cssPixels(l vg.Length) int { return int(math.Round(l.Points() / 72 * cssDPI)) }

// logTicks labels a log axis at 1-2-5 steps (1, 2, 5, 10, 20, ...), more
// densely when the range spans less than a decade, so that even a narrow
// range gets at least two labels. gonum's LogTicks labels
// powers of ten only, which leaves a typical latency range unlabelled.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	steps := []float64{1, 2, 5}
	switch {
	case hi/lo < 3:
		steps = []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	case hi/lo < 10:
		steps = []float64{1, 2, 3, 5}
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < lo || v > hi {
				continue
			}
			label := ""
			for _, s := range steps {
				if float64(m) == s {
					label = tickLabel(v)
				}
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// tickLabel prints a tick value without trailing zeros or exponent.
func tickLabel(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// linearTicks labels a linear axis at round steps (1, 2, 2.5 or 5 times a
// power of ten) so that about five to eight labels show, with a minor tick
// between labels; gonum's default labels as few as two. Integer axes
// (counts) never get a fractional step.
type linearTicks struct{ integer bool }

func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: tickLabel(roundTo(lo, 6))}}
	}
	raw := (hi - lo) / 6
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * pow
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	if t.integer {
		step = math.Max(1, math.Round(step))
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / step); i*step <= hi+step*1e-9; i++ {
		v := roundTo(i*step, 9)
		ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(roundTo(v, 6))})
		if minor := v + step/2; minor <= hi && (!t.integer || step >= 2 && math.Mod(step, 2) == 0) {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	return ticks
}

// roundTo rounds x to n significant digits (tick values carry float noise).
func roundTo(x float64, n int) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// useLogY switches p's y axis to a log scale when the values span more than
// a factor of span (and are all positive): latencies of engines or of sweep
// points easily differ by two orders of magnitude.
func useLogY(p *plot.Plot, lo, hi, span float64) {
	if lo > 0 && hi/lo > span {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		return
	}
	p.Y.Tick.Marker = linearTicks{}
}
