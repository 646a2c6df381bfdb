package reports

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// metricLabel names a metric in gate output.
func metricLabel(metric string) string {
	switch metric {
	case "abort_rate":
		return "abort rate"
	case "throughput":
		return "throughput (tps)"
	case "p999":
		return "p99.9 (ms)"
	default:
		return metric + " (ms)"
	}
}

// formatValue prints a metric's value.
func formatValue(metric string, v float64) string {
	switch metric {
	case "abort_rate":
		return strconv.FormatFloat(100*v, 'f', 2, 64) + "%"
	case "throughput":
		return formatRate(v)
	default:
		return sig3(v)
	}
}

// precise prints a value with every digit a results file keeps.
func precise(metric string, v float64) string {
	if metric == "abort_rate" {
		return strconv.FormatFloat(100*v, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// formatEstimate prints a side's value, with its interval when there is one.
func formatEstimate(metric string, e Estimate) string {
	s := formatValue(metric, e.Center)
	// Too few runs for an interval at the confidence asked: benchmath
	// gives ±∞ and a note says how many runs it takes.
	if e.N > 1 && !math.IsInf(e.Lo, 0) && !math.IsInf(e.Hi, 0) && e.Lo != e.Hi {
		s += " [" + formatValue(metric, e.Lo) + ", " + formatValue(metric, e.Hi) + "]"
	}
	return s
}

// formatChange prints a change: signed percent, or percentage points for
// the abort rate.
func formatChange(metric string, x float64) string {
	if metric == "abort_rate" {
		return signed(100*x, 2) + "pp"
	}
	if math.IsInf(x, 1) {
		return "new"
	}
	d := 1
	if a := math.Abs(100 * x); a > 0 && a < 0.1 {
		d = 3
	}
	return signed(100*x, d) + "%"
}

func signed(x float64, decimals int) string {
	if x == 0 {
		return "0"
	}
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if x > 0 {
		s = "+" + s
	}
	return s
}

// formatLimit prints a limit in the direction that fails.
func (g *GateResult) formatLimit(metric string, l float64) string {
	sign := "+"
	switch {
	case g.Config.FailOnChange:
		sign = "±"
	case metric == "throughput":
		sign = "-"
	}
	if metric == "abort_rate" {
		return sign + tickLabel(roundTo(100*l, 6)) + "pp"
	}
	return sign + tickLabel(roundTo(100*l, 6)) + "%"
}

func (s Status) String() string {
	switch s {
	case Fail:
		return "FAIL"
	case Skipped:
		return "skipped"
	default:
		return "ok"
	}
}

// table is the checks as rows.
func (g *GateResult) table(status func(Status) string) *table {
	t := &table{
		Header:  []string{"scope", "metric", "baseline", "current", "change", "limit", "p", "result"},
		Numeric: []bool{false, false, true, true, true, true, true, false},
	}
	stat := g.Method == Statistical
	if !stat {
		t.Header = slices.Delete(t.Header, 6, 7)
		t.Numeric = slices.Delete(t.Numeric, 6, 7)
	}
	for i, c := range g.Checks {
		row := []string{c.Scope, metricLabel(c.Metric), "-", "-", "-", g.formatLimit(c.Metric, c.Limit), "-", status(c.Status)}
		if c.Status != Skipped {
			row[2], row[3], row[4] = formatEstimate(c.Metric, c.Base), formatEstimate(c.Metric, c.Cur), formatChange(c.Metric, c.Change)
			if row[2] == row[3] && c.Base.Center != c.Cur.Center {
				// A change too small for three digits: show all of them.
				row[2], row[3] = precise(c.Metric, c.Base.Center), precise(c.Metric, c.Cur.Center)
			}
		}
		if !math.IsNaN(c.P) {
			row[6] = strconv.FormatFloat(c.P, 'f', 3, 64)
		}
		if c.Why != "" {
			row[7] += " (" + c.Why + ")"
		}
		if !stat {
			row = slices.Delete(row, 6, 7)
		}
		t.Rows = append(t.Rows, row)
		t.Group = append(t.Group, i == 0 || g.Checks[i-1].Scope != c.Scope)
	}
	return t
}

// describe names a side: its files and what they ran.
func describe(runs []Run) string {
	var files []string
	var seeds []string
	for _, r := range runs {
		files = append(files, r.name())
		s := strconv.FormatUint(r.Result.Seed, 10)
		if !slices.Contains(seeds, s) {
			seeds = append(seeds, s)
		}
	}
	r := runs[0].Result
	seedWord := "seed"
	if len(seeds) > 1 {
		seedWord = "seeds"
	}
	what := fmt.Sprintf("%s · %s · %s %s · %s", r.Engine, r.Workload, seedWord, strings.Join(seeds, ","), r.Mode)
	if len(files) > 3 {
		files = append(files[:2], fmt.Sprintf("… %d files", len(runs)))
	}
	return strings.Join(files, ", ") + " (" + what + ")"
}

// verdict is the last line of the text output.
func (g *GateResult) verdict() string {
	failed := g.Failed()
	if len(failed) == 0 {
		if n := g.countChecked(); n != 1 {
			return fmt.Sprintf("PASS: all %d checks hold", n)
		}
		return "PASS: the 1 check holds"
	}
	var names []string
	for _, c := range failed {
		names = append(names, fmt.Sprintf("%s %s %s", c.Scope, c.Metric, formatChange(c.Metric, c.Change)))
	}
	return fmt.Sprintf("FAIL: %d of %d checks failed: %s", len(failed), g.countChecked(), strings.Join(names, ", "))
}

func (g *GateResult) countChecked() int {
	n := 0
	for _, c := range g.Checks {
		if c.Status != Skipped {
			n++
		}
	}
	return n
}

// WriteText prints the gate for a terminal or a CI log: the sides, the
// method, a table of every check, notes, and a verdict line.
func (g *GateResult) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "baseline: %s\n", describe(g.Baseline))
	fmt.Fprintf(&b, "current:  %s\n", describe(g.Current))
	fmt.Fprintf(&b, "comparison: %s\n", g.Method)
	if err := g.table(Status.String).write(&b); err != nil {
		return err
	}
	for _, n := range g.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	b.WriteString(g.verdict() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown prints the gate as GitHub-flavoured Markdown, for a CI job
// summary ($GITHUB_STEP_SUMMARY) or a pull-request comment.
func (g *GateResult) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	if g.Passed() {
		fmt.Fprintf(&b, "### ✅ Performance gate passed (%d checks)\n\n", g.countChecked())
	} else {
		fmt.Fprintf(&b, "### ❌ Performance gate failed: %d of %d checks\n\n", len(g.Failed()), g.countChecked())
	}
	fmt.Fprintf(&b, "- **baseline:** %s\n", mdEscape(describe(g.Baseline)))
	fmt.Fprintf(&b, "- **current:** %s\n", mdEscape(describe(g.Current)))
	fmt.Fprintf(&b, "- **comparison:** %s\n\n", mdEscape(g.Method.String()))
	t := g.table(func(s Status) string {
		switch s {
		case Fail:
			return "❌ fail"
		case Skipped:
			return "➖ skipped"
		}
		return "✅ ok"
	})
	t.markdown(&b)
	if len(g.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range g.Notes {
			fmt.Fprintf(&b, "> **note:** %s\n", mdEscape(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape keeps a cell's text from breaking the Markdown table.
// markdown writes t as a GitHub-flavoured Markdown table.
func (t *table) markdown(b *strings.Builder) {
	b.WriteString("|")
	for _, h := range t.Header {
		b.WriteString(" " + mdEscape(h) + " |")
	}
	b.WriteString("\n|")
	for i := range t.Header {
		if t.Numeric[i] {
			b.WriteString("--:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`").Replace(s)
}

// WriteAnnotations prints GitHub Actions workflow commands: an error per
// failed check and a warning per note, which the Actions UI shows on the
// run's summary page.
func (g *GateResult) WriteAnnotations(w io.Writer) error {
	var b strings.Builder
	for _, c := range g.Failed() {
		title := fmt.Sprintf("Performance gate: %s %s", c.Scope, c.Metric)
		msg := fmt.Sprintf("%s %s went from %s to %s (%s; limit %s)", c.Scope, metricLabel(c.Metric),
			formatEstimate(c.Metric, c.Base), formatEstimate(c.Metric, c.Cur), formatChange(c.Metric, c.Change), g.formatLimit(c.Metric, c.Limit))
		if !math.IsNaN(c.P) {
			msg += fmt.Sprintf(", p=%.3f", c.P)
		}
		fmt.Fprintf(&b, "::error title=%s::%s\n", escapeProperty(title), escapeData(msg))
	}
	for _, n := range g.Notes {
		fmt.Fprintf(&b, "::warning title=%s::%s\n", escapeProperty("Performance gate"), escapeData(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData and escapeProperty encode text for workflow commands as the
// Actions runner decodes it.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
