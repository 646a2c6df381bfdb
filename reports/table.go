package reports

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/txbench/txbench/runner"
)

// table is a grid of cells with a header: the one model behind the text
// tables the CLI prints and the HTML tables of a report, so the two always
// agree (and one golden test covers both).
type table struct {
	Header []string
	// Numeric marks the columns that are right-aligned.
	Numeric []bool
	Rows    [][]string
	// Group, when set, starts a new visual group at the rows where it is
	// true (a new transaction type, a new engine).
	Group []bool
}

// write prints t with aligned columns; numeric columns are right-aligned.
func (t *table) write(w io.Writer) error {
	width := make([]int, len(t.Header))
	for _, row := range append([][]string{t.Header}, t.Rows...) {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(row []string) string {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i > 0 {
				b.WriteString("  ")
			}
			switch {
			case i < len(t.Numeric) && t.Numeric[i]:
				b.WriteString(pad + c)
			case i == len(row)-1:
				b.WriteString(c) // no trailing blanks
			default:
				b.WriteString(c + pad)
			}
		}
		return b.String() + "\n"
	}
	var b strings.Builder
	b.WriteString(line(t.Header))
	for _, row := range t.Rows {
		b.WriteString(line(row))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryTable is the per transaction type × run table: the types in the
// order the workloads list them (a type only some runs have comes where it
// first appears), the total last (except for runs of a single type, whose
// total would repeat it), and under each type one row per run.
func summaryTable(runs []Run) *table {
	t := &table{
		Header:  []string{"type", "run", "committed", "failed", "tps", "p50", "p95", "p99", "p99.9", "max", "abort%", "retries", "top abort reasons"},
		Numeric: []bool{false, false, true, true, true, true, true, true, true, true, true, true, false},
	}
	for _, typ := range append(typeNames(runs), "total") {
		first := true
		for _, r := range runs {
			s := summaryOf(r.Result, typ)
			if s == nil || (typ == "total" && len(r.Result.TxnTypes) == 1) {
				// A run of one transaction type: its total repeats it.
				continue
			}
			l := s.LatencyMs
			t.Rows = append(t.Rows, []string{
				typ, r.Label, strconv.FormatInt(s.Committed, 10), strconv.FormatInt(s.Failed, 10),
				formatRate(s.ThroughputTPS),
				formatMs(l.P50, s.Committed), formatMs(l.P95, s.Committed), formatMs(l.P99, s.Committed),
				formatMs(l.P999, s.Committed), formatMs(l.Max, s.Committed),
				formatPct(s.AbortRate), strconv.FormatFloat(s.RetriesPerTxn, 'f', 2, 64),
				topReasons(s.AbortReasons, 2),
			})
			t.Group = append(t.Group, first)
			first = false
		}
	}
	return t
}

// typeNames is the union of the runs' transaction types, in order of first
// appearance.
func typeNames(runs []Run) []string {
	var out []string
	for _, r := range runs {
		for _, t := range r.Result.TxnTypes {
			if !slices.Contains(out, t.Name) && t.Name != "total" {
				out = append(out, t.Name)
			}
		}
	}
	return out
}

// summaryOf returns the summary of a transaction type, the whole run for
// "total", or nil when the run has no such type.
func summaryOf(r *runner.Result, typ string) *runner.Summary {
	if typ == "total" {
		return &r.Summary
	}
	for i := range r.TxnTypes {
		if r.TxnTypes[i].Name == typ {
			return &r.TxnTypes[i].Summary
		}
	}
	return nil
}

// WriteSummaryTable prints the runs' summary table: one row per transaction
// type and run, the totals last. Latencies are in ms, end to end from the
// intended start, of committed transactions.
func WriteSummaryTable(w io.Writer, runs []Run) error {
	return summaryTable(runs).write(w)
}

// workloadMetricsTable holds the workloads' own figures (TPC-C's tpmC and
// efficiency), a row per metric and a column per run; nil when no run has
// any.
func workloadMetricsTable(runs []Run) *table {
	var names []string
	for _, r := range runs {
		for _, m := range r.Result.WorkloadMetrics {
			if !slices.Contains(names, m.Name) {
				names = append(names, m.Name)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	t := &table{Header: []string{"metric"}, Numeric: []bool{false}}
	for _, r := range runs {
		t.Header = append(t.Header, r.Label)
		t.Numeric = append(t.Numeric, true)
	}
	for _, name := range names {
		row := []string{name}
		for _, r := range runs {
			cell := "-"
			for _, m := range r.Result.WorkloadMetrics {
				if m.Name == name {
					cell = sig3(m.Value)
					switch m.Unit {
					case "":
					case "%":
						cell += "%"
					default:
						cell += " " + m.Unit
					}
				}
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// statementTable holds each run's latency by statement kind (all
// transaction types together): a row per kind and run; nil when no run
// recorded statements.
func statementTable(runs []Run) *table {
	t := &table{
		Header:  []string{"statement", "run", "count", "mean", "p50", "p95", "p99", "p99.9", "max"},
		Numeric: []bool{false, false, true, true, true, true, true, true, true},
	}
	for _, kind := range runner.StatementKinds() {
		first := true
		for _, r := range runs {
			s, ok := r.Result.Summary.StatementLatencyMs[kind]
			if !ok {
				continue
			}
			t.Rows = append(t.Rows, []string{kind, r.Label, strconv.FormatInt(s.Count, 10),
				formatMs(s.Mean, s.Count), formatMs(s.P50, s.Count), formatMs(s.P95, s.Count),
				formatMs(s.P99, s.Count), formatMs(s.P999, s.Count), formatMs(s.Max, s.Count)})
			t.Group = append(t.Group, first)
			first = false
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

// breakdownTable holds the mean latency breakdown (ms) of each run's
// committed transactions, one column per category in the simulator's order.
func breakdownTable(runs []Run) *table {
	cats := breakdownCategories(runs)
	if len(cats) == 0 {
		return nil
	}
	t := &table{Header: append([]string{"run"}, cats...), Numeric: []bool{false}}
	t.Header = append(t.Header, "sum", "mean latency")
	for range len(cats) + 2 {
		t.Numeric = append(t.Numeric, true)
	}
	for _, r := range runs {
		b := r.Result.Summary.BreakdownMs
		row := []string{r.Label}
		sum := 0.0
		for _, c := range cats {
			row = append(row, formatMs(b[c], 1))
			sum += b[c]
		}
		row = append(row, formatMs(sum, 1), formatMs(r.Result.Summary.LatencyMs.Mean, r.Result.Summary.Committed))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// contendedTable lists each run's most contended rows.
func contendedTable(runs []Run, n int) *table {
	t := &table{Header: []string{"run", "row", "aborts"}, Numeric: []bool{false, false, true}}
	for _, r := range runs {
		for i, k := range r.Result.TopContended[:min(n, len(r.Result.TopContended))] {
			t.Rows = append(t.Rows, []string{r.Label, keyName(k), strconv.FormatInt(k.Aborts, 10)})
			t.Group = append(t.Group, i == 0)
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

// keyName names a contended row as engines print it: "stock(1,42)", or
// table:key for a key that is not bracketed.
func keyName(k runner.ContendedKey) string {
	switch {
	case k.Table == "":
		return k.Key
	case strings.HasPrefix(k.Key, "(") || strings.HasPrefix(k.Key, "["):
		return k.Table + k.Key
	default:
		return k.Table + ":" + k.Key
	}
}

// topReasons returns the n most frequent abort reasons as "reason ×count",
// ties broken by name; "-" when there are none.
func topReasons(m map[string]int64, n int) string {
	rs := rankedReasons(m)
	if len(rs) == 0 {
		return "-"
	}
	var out []string
	for _, r := range rs[:min(n, len(rs))] {
		out = append(out, fmt.Sprintf("%s ×%d", r, m[r]))
	}
	return strings.Join(out, ", ")
}

// rankedReasons returns the reasons with a positive count, most frequent
// first, ties broken by name so that output is stable.
func rankedReasons(m map[string]int64) []string {
	var rs []string
	for k, v := range m {
		if v > 0 {
			rs = append(rs, k)
		}
	}
	slices.SortFunc(rs, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return rs
}

// formatMs keeps about three significant digits; "-" when nothing was
// measured, so that an empty type does not read as zero latency.
func formatMs(ms float64, n int64) string {
	if n == 0 {
		return "-"
	}
	return sig3(ms)
}

// sig3 prints x with about three significant digits and no exponent.
func sig3(x float64) string {
	a := math.Abs(x)
	switch {
	case a == 0:
		return "0"
	case a < 1:
		return strconv.FormatFloat(x, 'f', 3, 64)
	case a < 10:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case a < 100:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
}

func formatRate(x float64) string {
	if x < 100 {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}

func formatPct(frac float64) string {
	return strconv.FormatFloat(100*frac, 'f', 1, 64) + "%"
}
