package reports

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/txbench/txbench/runner"
)

// WriteHTML writes the report as one HTML page that needs nothing else: the
// charts are PNG data: URIs, the style sheet is inline, there is no script
// and no external font, so the file works offline and as a CI artifact.
// charts come from r.Charts.
func (r *Report) WriteHTML(w io.Writer, charts []Chart) error {
	return pageTemplate().Execute(w, r.page(charts))
}

// page is the template's view of a report.
type page struct {
	Title, Subtitle string
	Warnings        []string
	Sweep           *htmlTable
	Validation      *htmlTable
	Passed, Figures int
	Summary         *htmlTable
	Metrics         *htmlTable
	Statements      *htmlTable
	Charts          []htmlChart
	Breakdown       *htmlTable
	Contended       *htmlTable
	Common          [][2]string
	Differing       *htmlTable
	EngineOpts      *htmlTable
	Runs            *htmlTable
	Notes           []string
	Schema          string
}

type htmlChart struct {
	ID, Title, Caption string
	// Src is the src attribute whole: as a URL value html/template would
	// escape every "+" of the base64 as &#43;, a third more bytes.
	Src           template.HTMLAttr
	Width, Height int
}

// htmlTable is a table ready for the template: cells with their classes.
type htmlTable struct {
	Header []htmlCell
	Rows   []htmlRow
}

type htmlRow struct {
	Group bool
	Cells []htmlCell
}

type htmlCell struct {
	Text  string
	Class string
}

func (t *table) html() *htmlTable {
	if t == nil {
		return nil
	}
	class := func(i int) string {
		if i < len(t.Numeric) && t.Numeric[i] {
			return "num"
		}
		return ""
	}
	h := &htmlTable{}
	for i, c := range t.Header {
		h.Header = append(h.Header, htmlCell{c, class(i)})
	}
	for ri, row := range t.Rows {
		hr := htmlRow{Group: ri > 0 && ri < len(t.Group) && t.Group[ri]}
		for i, c := range row {
			hr.Cells = append(hr.Cells, htmlCell{c, class(i)})
		}
		h.Rows = append(h.Rows, hr)
	}
	return h
}

func (r *Report) page(charts []Chart) page {
	p := page{Title: r.title(), Subtitle: r.subtitle(), Warnings: warnings(r.Runs), Schema: runner.ResultSchema}
	if r.Sweep != nil {
		p.Sweep = r.Sweep.table().html()
	}
	if r.Validation != nil {
		p.Validation = r.Validation.table().html()
		p.Passed, p.Figures = r.Validation.Passed(), len(r.Validation.Figures)
	}
	p.Summary = summaryTable(r.Runs).html()
	p.Metrics = workloadMetricsTable(r.Runs).html()
	p.Statements = statementTable(r.Runs).html()
	for _, c := range charts {
		p.Charts = append(p.Charts, htmlChart{
			ID: c.Name, Title: c.Title, Caption: c.Caption,
			Src:   template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(c.PNG) + `"`),
			Width: c.Width, Height: c.Height,
		})
	}
	if r.Sweep == nil && r.Validation == nil {
		p.Breakdown = breakdownTable(r.Runs).html()
		p.Contended = contendedTable(r.Runs, 5).html()
	}
	common := commonOptions(r.Runs)
	for _, k := range sortedKeys(common) {
		p.Common = append(p.Common, [2]string{k, orDash(common[k])})
	}
	p.Differing = differingTable(r.Runs).html()
	if len(r.Runs) > 4 {
		p.EngineOpts = engineOptionsTable(r.Runs).html()
	}
	p.Runs = runsTable(r.Runs).html()
	p.Notes = notes(r.Runs)
	return p
}

// notes lists the runs' model notes once each, with the runs that have it
// ("occ, 2pc: topology region-3az, ...") when the runs differ.
func notes(runs []Run) []string {
	var texts []string
	who := map[string][]string{}
	for _, r := range runs {
		for _, n := range r.Result.Notes {
			if !slices.Contains(texts, n) {
				texts = append(texts, n)
			}
			if !slices.Contains(who[n], r.Label) {
				who[n] = append(who[n], r.Label)
			}
		}
	}
	out := make([]string, len(texts))
	for i, n := range texts {
		out[i] = n
		if len(who[n]) < len(runs) {
			out[i] = strings.Join(who[n], ", ") + ": " + n
		}
	}
	return out
}

func (r *Report) title() string {
	if r.Title != "" {
		return r.Title
	}
	if r.Sweep != nil {
		return fmt.Sprintf("%s: sweep of %s", workloadNames(r.Runs), r.Sweep.Param)
	}
	if r.Validation != nil {
		return "bench validate: the models against the published numbers"
	}
	var labels, engines []string
	for _, run := range r.Runs {
		labels = append(labels, run.Label)
		if !slices.Contains(engines, run.Result.Engine) {
			engines = append(engines, run.Result.Engine)
		}
	}
	if len(labels) <= 3 {
		return workloadNames(r.Runs) + ": " + strings.Join(labels, " vs ")
	}
	// Many runs: the engines and what varies, once; the shared options are
	// in the Configuration section.
	t := workloadNames(r.Runs) + ": " + strings.Join(engines, " vs ")
	if v := varyingOptions(r.Runs); len(v) > 0 {
		for i := range v {
			v[i] = optionName(v[i])
		}
		t += " over " + strings.Join(v, ", ")
	}
	return t
}

func (r *Report) subtitle() string {
	n := len(r.Runs)
	parts := []string{fmt.Sprintf("%d run%s", n, plural(n))}
	var modes []string
	for _, run := range r.Runs {
		m := run.Result.Mode
		if m == "simulated" {
			m = "simulated (virtual time)"
		} else {
			m = "real database (wall time)"
		}
		if !slices.Contains(modes, m) {
			modes = append(modes, m)
		}
	}
	parts = append(parts, strings.Join(modes, ", "))
	if d := sameFloat(r.Runs, func(x *runner.Result) float64 { return x.DurationS }); d > 0 {
		parts = append(parts, fmt.Sprintf("%s s measured after %s s warm-up", tickLabel(d),
			tickLabel(sameFloat(r.Runs, func(x *runner.Result) float64 { return x.WarmupS }))))
	}
	return strings.Join(parts, " · ")
}

// sameFloat returns the value f gives every run, or -1 when they differ.
func sameFloat(runs []Run, f func(*runner.Result) float64) float64 {
	v := f(runs[0].Result)
	for _, r := range runs[1:] {
		if f(r.Result) != v {
			return -1
		}
	}
	return v
}

func workloadNames(runs []Run) string {
	var ws []string
	for _, r := range runs {
		if !slices.Contains(ws, r.Result.Workload) {
			ws = append(ws, r.Result.Workload)
		}
	}
	return strings.Join(ws, ", ")
}

// warnings are what a reader must know before trusting a comparison.
func warnings(runs []Run) []string {
	var out []string
	for _, r := range runs {
		if r.Result.Partial {
			out = append(out, r.Label+" was interrupted (partial): its figures cover only the part of the run that finished.")
		}
	}
	if ws := workloadNames(runs); strings.Contains(ws, ",") {
		out = append(out, "The runs are of different workloads ("+ws+"): their figures are not comparable.")
	}
	return out
}

// engineOptionsTable lists, a column per engine, the options that differ
// between runs only because their engines differ (each engine's own knobs,
// its isolation level): nil when there are none.
func engineOptionsTable(runs []Run) *table {
	varying := varyingOptions(runs)
	var engines []string
	first := map[string]*Run{}
	for i, r := range runs {
		if !slices.Contains(engines, r.Result.Engine) {
			engines = append(engines, r.Result.Engine)
			first[r.Result.Engine] = &runs[i]
		}
	}
	t := &table{Header: append([]string{"option"}, engines...)}
	for _, k := range differingOptions(runs) {
		if k == "engine" || slices.Contains(varying, k) {
			continue
		}
		row := []string{k}
		for _, e := range engines {
			row = append(row, optionCell(first[e].Result.Config, k, "n/a"))
		}
		t.Rows = append(t.Rows, row)
	}
	if len(t.Rows) == 0 || len(engines) < 2 {
		return nil
	}
	return t
}

// differingTable lists the options that differ between runs, a column per
// run.
func differingTable(runs []Run) *table {
	keys := differingOptions(runs)
	if len(keys) == 0 || len(runs) < 2 {
		return nil
	}
	if len(runs) > 4 {
		// Many runs: a row per run with only what was varied (and the
		// engine), so the table is as wide as the varied options are many;
		// what comes with an engine is in engineOptionsTable, once.
		varying := varyingOptions(runs)
		cols := varying
		if slices.Contains(keys, "engine") {
			cols = append([]string{"engine"}, varying...)
		}
		if len(cols) == 0 {
			return nil
		}
		t := &table{Header: append([]string{"run"}, cols...)}
		for _, r := range runs {
			row := []string{r.Label}
			for _, k := range cols {
				row = append(row, optionCell(r.Result.Config, k, "n/a"))
			}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	t := &table{Header: []string{"option"}}
	for _, r := range runs {
		t.Header = append(t.Header, r.Label)
	}
	for _, k := range keys {
		row := []string{k}
		for _, r := range runs {
			row = append(row, optionCell(r.Result.Config, k, "(not an option)"))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// optionCell is option k's value in cfg for a table cell, missing when the
// run has no such option.
func optionCell(cfg map[string]string, k, missing string) string {
	v, ok := cfg[k]
	if !ok {
		return missing
	}
	return orDash(v)
}

// runsTable states the facts of each results file.
func runsTable(runs []Run) *table {
	t := &table{
		Header:  []string{"run", "file", "engine", "workload", "seed", "mode", "measured s", "warm-up s", "events", "host", "go", "wall s"},
		Numeric: []bool{false, false, false, false, true, false, true, true, true, false, false, true},
	}
	for _, r := range runs {
		x := r.Result
		file := "-"
		if r.Path != "" {
			file = filepath.Base(r.Path)
		}
		mode := x.Mode
		if x.Partial {
			mode += " (partial)"
		}
		events := "-"
		if x.SimEvents > 0 {
			events = strconv.FormatUint(x.SimEvents, 10)
		}
		t.Rows = append(t.Rows, []string{
			r.Label, file, x.Engine, x.Workload, strconv.FormatUint(x.Seed, 10), mode,
			tickLabel(x.DurationS), tickLabel(x.WarmupS), events,
			orDash(x.Wall.Host), orDash(x.Wall.GoVersion), tickLabel(x.Wall.WallSeconds),
		})
	}
	return t
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// pageTemplate is parsed on first use, not when bench starts: parsing it
// was 6M instructions of every bench run (2pc YCSB-A: 0.3%).
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(pageSource))
})

const pageSource = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="txbench">
<link rel="icon" href="data:,">
<title>{{.Title}}</title>
<style>
:root { --fg: #1d2328; --muted: #5f6b75; --line: #d9dee3; --band: #f4f6f8; --accent: #4e79a7; --warn: #fff4d6; --warn-line: #e0b43a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 6px; }
p.sub { color: var(--muted); margin: 0 0 16px; }
nav { font-size: 13px; color: var(--muted); margin-bottom: 8px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 14px; }
.warn { background: var(--warn); border-left: 4px solid var(--warn-line); padding: 8px 12px; margin: 8px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 4px; }
th, td { padding: 4px 10px; text-align: left; white-space: nowrap; }
th { background: var(--band); border-bottom: 1px solid var(--line); font-weight: 600; }
td { border-bottom: 1px solid #eef1f3; }
tr.group td { border-top: 2px solid #c3cbd2; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
figure { margin: 22px 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; max-width: 768px; }
figcaption b { color: var(--fg); }
.note { color: var(--muted); font-size: 13px; }
dl.opts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 2px 18px; font-size: 13px; margin: 6px 0; }
dl.opts div { display: flex; gap: 6px; border-bottom: 1px dotted var(--line); padding: 2px 0; min-width: 0; }
dl.opts dt { color: var(--muted); }
dl.opts dd { margin: 0 0 0 auto; font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="sub">{{.Subtitle}}</p>
<nav>{{if .Validation}}<a href="#validation">Validation</a>{{end}}{{if .Sweep}}<a href="#sweep">Sweep</a>{{end}}<a href="#summary">Summary</a>{{if .Charts}}<a href="#charts">Charts</a>{{end}}{{if .Breakdown}}<a href="#breakdown">Breakdown</a>{{end}}{{if .Contended}}<a href="#contended">Contended rows</a>{{end}}<a href="#configuration">Configuration</a></nav>
{{range .Warnings}}<p class="warn">{{.}}</p>
{{end}}
{{- if .Validation}}
<h2 id="validation">Against the published numbers</h2>
<p class="note">{{.Passed}} of {{.Figures}} figures within their band. Magnitudes (±15%) where the paper's set-up can be matched; normalised shapes (±0.1) and laws (0.5–2×) otherwise. The paper-vs-model chart is the first chart below; each set-up's run is in the summary.</p>
{{template "table" .Validation}}
{{- end}}
{{- if .Sweep}}
<h2 id="sweep">Sweep</h2>
<p class="note">Each cell: committed per second · p99 latency (ms) · abort rate, over all transaction types.</p>
{{template "table" .Sweep}}
{{- end}}
<h2 id="summary">Summary</h2>
<p class="note">Latency in ms, end to end from the intended start, of committed transactions (retries and backoff included); tps counts commits per measured second; abort% is aborted attempts over all attempts; retries are per finished transaction.</p>
{{template "table" .Summary}}
{{- if .Metrics}}
<h3>Workload metrics</h3>
<p class="note">The workload's own figures, computed from the measured counts (e.g. TPC-C's tpmC and efficiency).</p>
{{template "table" .Metrics}}
{{- end}}
{{- if .Statements}}
<h3>Latency by statement</h3>
<p class="note">Each statement as the client timed it, ms, over every attempt (a statement that aborted its attempt is left out; commits count when they succeeded).</p>
{{template "table" .Statements}}
{{- end}}
{{- if .Charts}}
<h2 id="charts">Charts</h2>
{{range .Charts}}<figure id="{{.ID}}">
<img {{.Src}} width="{{.Width}}" height="{{.Height}}" alt="{{.Title}}">
<figcaption><b>{{.Title}}.</b> {{.Caption}}</figcaption>
</figure>
{{end}}
{{- end}}
{{- if .Breakdown}}
<h2 id="breakdown">Latency breakdown</h2>
<p class="note">Mean ms per committed transaction by where the time went, as the simulator's ledger attributes it.</p>
{{template "table" .Breakdown}}
{{- end}}
{{- if .Contended}}
<h2 id="contended">Most contended rows</h2>
<p class="note">Rows named by the most aborted attempts (the top five of each run).</p>
{{template "table" .Contended}}
{{- end}}
<h2 id="configuration">Configuration</h2>
{{- if .Differing}}
<h3>Options that differ</h3>
{{template "table" .Differing}}
{{- end}}
{{- if .EngineOpts}}
<h3>Options of each engine</h3>
<p class="note">The same in every run of the engine.</p>
{{template "table" .EngineOpts}}
{{- end}}
<h3>{{if .Differing}}Options the runs share{{else}}Options{{end}}</h3>
<dl class="opts">
{{range .Common}}<div><dt>{{index . 0}}</dt><dd title="{{index . 1}}">{{index . 1}}</dd></div>
{{end}}</dl>
{{- if .Notes}}
<h3>Model notes</h3>
<ul class="note">
{{range .Notes}}<li>{{.}}</li>
{{end}}</ul>
{{- end}}
<h3>Results files</h3>
{{template "table" .Runs}}
<footer>Made by txbench from results files of schema {{.Schema}}. Simulated figures are in virtual time and are a function of the seed and the options.</footer>
</main>
</body>
</html>
{{define "table"}}<div class="scroll"><table>
<thead><tr>{{range .Header}}<th{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Group}} class="group"{{end}}>{{range .Cells}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{end}}`
