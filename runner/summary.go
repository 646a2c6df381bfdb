package runner

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// summaryWidth is the width WriteSummary keeps to when it can.
const summaryWidth = 100

// WriteSummary prints the final summary of r for a person: one row per
// transaction type plus a total row with type, committed, tps, p50, p95, p99,
// p99.9, max (ms, end-to-end), abort %, retries per txn and the top abort
// reasons. Under the table come the mean latency breakdown of committed
// transactions and the top 5 contended keys, each when there is one.
//
// Numbers keep about three significant digits and the second abort reason is
// shown only when it fits, so that the output reads in 100 columns; the
// results file has the precise figures.
func WriteSummary(w io.Writer, r *Result) {
	if r.Partial {
		fmt.Fprintln(w, "PARTIAL run (interrupted): the figures cover what finished")
	}
	fmt.Fprintln(w, "latency in ms, end-to-end from the intended start, committed transactions")

	names := []string{"type"}
	for _, t := range r.TxnTypes {
		names = append(names, t.Name)
	}
	names = append(names, "total")
	width := 0
	for _, n := range names {
		width = max(width, utf8.RuneCountInString(n))
	}
	// The numbers are right-aligned; the type column is padded here so that
	// it reads left-aligned.
	pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }

	// The numeric columns go through tabwriter first; the reasons are added
	// after, once the table's width tells how much room is left for them.
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tcommitted\tfailed\ttps\tp50\tp95\tp99\tp99.9\tmax\tabort%%\tretries\t\n", pad("type"))
	reasons := [][]string{nil}
	row := func(name string, s *Summary) {
		l := s.LatencyMs
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f%%\t%.2f\t\n",
			pad(name), s.Committed, s.Failed, formatRate(s.ThroughputTPS),
			formatMs(l.P50, s.Committed), formatMs(l.P95, s.Committed), formatMs(l.P99, s.Committed),
			formatMs(l.P999, s.Committed), formatMs(l.Max, s.Committed),
			100*s.AbortRate, s.RetriesPerTxn)
		reasons = append(reasons, topReasons(s.AbortReasons, 2))
	}
	for i := range r.TxnTypes {
		row(r.TxnTypes[i].Name, &r.TxnTypes[i].Summary)
	}
	row("total", &r.Summary)
	tw.Flush()

	lines := strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n")
	for i := range lines {
		// Right alignment pads every cell on its left, the first one too;
		// those two columns are better spent on the reasons.
		lines[i] = strings.TrimPrefix(lines[i], "  ")
	}
	room := summaryWidth - utf8.RuneCountInString(lines[0]) - 2
	// A reason needs about 24 columns ("conflict(OC000) ×12345"); when the
	// table leaves less, the reasons go under it, one line per type.
	const reasonWidth = 24
	if room < reasonWidth {
		for _, line := range lines {
			fmt.Fprintln(w, line)
		}
		printed, last := 0, ""
		for i, name := range names[1:] {
			rs := reasons[i+1]
			if len(rs) == 0 {
				continue
			}
			key := strings.Join(rs, "\x00")
			// The total repeats the one type that aborted: say it once.
			if i == len(names)-2 && printed == 1 && key == last {
				continue
			}
			fmt.Fprintf(w, "top abort reasons, %s: %s\n", name, fitReasons(rs, summaryWidth-len(name)-21))
			printed, last = printed+1, key
		}
	} else {
		for i, line := range lines {
			cell := "top abort reasons"
			if i > 0 {
				cell = fitReasons(reasons[i], room)
			}
			fmt.Fprintln(w, line+"  "+cell)
		}
	}

	if len(r.WorkloadMetrics) > 0 {
		var parts []string
		for _, m := range r.WorkloadMetrics {
			parts = append(parts, m.Name+" "+formatMetric(m.Value, m.Unit))
		}
		writeWrapped(w, r.Workload+": ", parts, " · ")
	}
	if sh := r.Summary.LatencyByShape; len(sh) > 0 {
		var parts []string
		for _, name := range []string{ShapeSingle, ShapeMulti} {
			if l, ok := sh[name]; ok {
				parts = append(parts, fmt.Sprintf("%s %d: p50 %s p99 %s", name, l.Committed,
					formatMs(l.Latency.P50, 1), formatMs(l.Latency.P99, 1)))
			}
		}
		writeWrapped(w, "by commit shape (ms): ", parts, " · ")
	}
	if sl := r.Summary.StatementLatencyMs; len(sl) > 0 {
		var parts []string
		for _, kind := range statementKinds {
			if l, ok := sl[kind]; ok {
				parts = append(parts, fmt.Sprintf("%s %d: mean %s p50 %s p99 %s", kind, l.Count,
					formatMs(l.Mean, 1), formatMs(l.P50, 1), formatMs(l.P99, 1)))
			}
		}
		writeWrapped(w, "by statement (ms): ", parts, " · ")
	}
	if r.Summary.StatementsPerTxn > 0 {
		var parts []string
		for _, t := range r.TxnTypes {
			if t.Summary.StatementsPerTxn > 0 {
				parts = append(parts, fmt.Sprintf("%s %.1f", t.Name, t.Summary.StatementsPerTxn))
			}
		}
		writeWrapped(w, "statements per committed txn (commit excluded): ", parts, " · ")
	}
	if b := r.Summary.BreakdownMs; len(b) > 0 {
		var parts []string
		for _, k := range breakdownKeys(b) {
			if v := b[k]; v != 0 {
				parts = append(parts, k+" "+formatMs(v, 1))
			}
		}
		writeWrapped(w, "breakdown (mean ms): ", parts, " · ")
	}
	if len(r.TopContended) > 0 {
		var parts []string
		for _, k := range r.TopContended[:min(5, len(r.TopContended))] {
			parts = append(parts, fmt.Sprintf("%s ×%d", keyName(k.Table, k.Key), k.Aborts))
		}
		writeWrapped(w, "top contended keys (aborts): ", parts, " · ")
	}
	writeAvailability(w, r.Availability)
	if sp := r.Wall.SimSpeed; sp != nil {
		fmt.Fprintf(w, "sim_speed: %s simulated s per wall s · %s events/s (loading excluded)\n",
			formatRate(sp.SimSecondsPerWallSecond), formatRate(sp.EventsPerSecond))
	}
}

// writeAvailability prints one line per fault: how soon it hurt, how long a
// client group went without a commit, how long until throughput was back.
func writeAvailability(w io.Writer, a *Availability) {
	if a == nil {
		return
	}
	secs := func(v *float64, none string) string {
		if v == nil {
			return none
		}
		return fmt.Sprintf("%.2fs", *v)
	}
	for _, f := range a.Faults {
		parts := []string{"first failure " + secs(f.FirstFailureS, "none")}
		var gaps []string
		for _, g := range a.Groups {
			gaps = append(gaps, fmt.Sprintf("%s %.2fs", g, f.LongestGapS[g]))
		}
		parts = append(parts, "longest gap without a commit: "+strings.Join(gaps, ", "))
		back := fmt.Sprintf("not back to 90%% of %s tps by the end", formatRate(f.PreFaultTPS))
		if f.RecoveryS != nil {
			back = fmt.Sprintf("back to 90%% of %s tps after %s", formatRate(f.PreFaultTPS), secs(f.RecoveryS, ""))
		}
		parts = append(parts, back)
		if len(f.Survivors) > 0 {
			who := strings.Join(f.Survivors, ", ")
			surv := fmt.Sprintf("survivors (%s) not back to 90%% of their %s tps by the end", who, formatRate(f.SurvivorsPreFaultTPS))
			if f.SurvivorsRecoveryS != nil {
				surv = fmt.Sprintf("survivors (%s) back to 90%% of their %s tps after %s", who,
					formatRate(f.SurvivorsPreFaultTPS), secs(f.SurvivorsRecoveryS, ""))
			}
			parts = append(parts, surv)
		}
		parts = append(parts,
			fmt.Sprintf("%d txns failed, %d attempts retried", f.FailedTxns, f.RetriedAttempts))
		writeWrapped(w, "fault "+f.Fault+": ", parts, " · ")
	}
}

// keyName names a row the way engines print it: the table followed by a
// bracketed key ("stock(1,42)"), or table:key for a bare key.
func keyName(table, key string) string {
	switch {
	case table == "":
		return key
	case strings.HasPrefix(key, "(") || strings.HasPrefix(key, "["):
		return table + key
	default:
		return table + ":" + key
	}
}

// writeWrapped writes prefix and the parts joined by sep on one line, going on
// to indented lines when the line would be wider than summaryWidth. Nothing
// is written without parts.
func writeWrapped(w io.Writer, prefix string, parts []string, sep string) {
	if len(parts) == 0 {
		return
	}
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	// A line that wraps ends with the separator, so leave room for it.
	limit := summaryWidth - utf8.RuneCountInString(strings.TrimRight(sep, " "))
	line := prefix + parts[0]
	for _, p := range parts[1:] {
		if utf8.RuneCountInString(line+sep+p) > limit {
			fmt.Fprintln(w, strings.TrimRight(line+sep, " "))
			line = indent + p
			continue
		}
		line += sep + p
	}
	fmt.Fprintln(w, line)
}

// breakdownKeys returns the categories of b in the known order, then any
// engine-specific categories alphabetically.
func breakdownKeys(b map[string]float64) []string {
	var keys, extra []string
	for _, k := range breakdownOrder {
		if _, ok := b[k]; ok {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if !slices.Contains(breakdownOrder, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	return append(keys, extra...)
}

// topReasons returns the n most frequent abort reasons as "reason ×count",
// ties broken by name so the output is stable.
func topReasons(m map[string]int64, n int) []string {
	type rc struct {
		reason string
		count  int64
	}
	var all []rc
	for k, v := range m {
		if v > 0 {
			all = append(all, rc{k, v})
		}
	}
	slices.SortFunc(all, func(a, b rc) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return strings.Compare(a.reason, b.reason)
	})
	var out []string
	for _, x := range all[:min(n, len(all))] {
		out = append(out, fmt.Sprintf("%s ×%d", x.reason, x.count))
	}
	return out
}

// fitReasons joins as many reasons as fit in room columns, at least one
// (clipped if it must be, but never below minReasonWidth: a clipped reason
// that no longer says what happened is worse than a long line).
func fitReasons(reasons []string, room int) string {
	const minReasonWidth = 24
	if len(reasons) == 0 {
		return "-"
	}
	out := reasons[0]
	for _, r := range reasons[1:] {
		if utf8.RuneCountInString(out+", "+r) > room {
			break
		}
		out += ", " + r
	}
	return clipRunes(out, max(room, minReasonWidth))
}

// formatMs prints a latency with about three significant digits; "-" when
// nothing committed, so an empty type doesn't read as zero latency.
func formatMs(ms float64, n int64) string {
	switch {
	case n == 0:
		return "-"
	case ms < 1:
		return fmt.Sprintf("%.3f", ms)
	case ms < 10:
		return fmt.Sprintf("%.2f", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f", ms)
	default:
		return fmt.Sprintf("%.0f", ms)
	}
}

// formatMetric prints a workload metric with about three significant digits
// (whole numbers from 100 up) and its unit: "12345 txn/min", "96.4%".
func formatMetric(x float64, unit string) string {
	v := fmt.Sprintf("%.3g", x)
	if math.Abs(x) >= 100 {
		v = fmt.Sprintf("%.0f", x)
	}
	switch unit {
	case "":
		return v
	case "%":
		return v + unit
	}
	return v + " " + unit
}

func formatRate(x float64) string {
	if x < 100 {
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
