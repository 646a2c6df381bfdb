package runner

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/txbench/txbench/workloads"
)

// Merge combines the results of processes that drove one database together
// (bench run --partition i/n on n machines) into the result of one run:
// counters are summed, histograms merged (so percentiles are exact), rates
// taken over the longest measured duration, timelines aligned by each
// part's wall-clock start, and the workload's own figures recomputed from
// the merged counts. Only two things are approximate, and say so in the
// notes: a merged timeline interval's p50/p99 are the largest of the parts'
// (per-interval histograms are not kept), and the top contended keys are
// ranked from each part's top 10.
func Merge(parts []*Result) (*Result, error) {
	if len(parts) < 2 {
		return nil, errors.New("merge needs at least two results files")
	}
	base := parts[0]
	for i, p := range parts[1:] {
		if p.Engine != base.Engine || p.Workload != base.Workload || p.Mode != base.Mode {
			return nil, fmt.Errorf("part %d is %s/%s (%s), part 1 is %s/%s (%s): only parts of one run can be merged",
				i+2, p.Engine, p.Workload, p.Mode, base.Engine, base.Workload, base.Mode)
		}
	}
	out := &Result{
		Schema: ResultSchema, Engine: base.Engine, Workload: base.Workload, Seed: base.Seed, Mode: base.Mode,
		Config: map[string]string{}, WarmupS: base.WarmupS, Histograms: map[string]string{},
	}
	for k, v := range base.Config {
		out.Config[k] = v
	}
	delete(out.Config, "partition")
	out.Config["merged-parts"] = fmt.Sprint(len(parts))
	var hosts []string
	for _, p := range parts {
		out.Partial = out.Partial || p.Partial
		out.DurationS = math.Max(out.DurationS, p.DurationS)
		out.SimEvents += p.SimEvents
		hosts = append(hosts, p.Wall.Host)
	}

	hists, err := mergeHistograms(parts)
	if err != nil {
		return nil, err
	}
	for name, h := range hists {
		out.Histograms[name] = encodeHistogram(h)
	}
	secs := out.DurationS
	out.Summary = mergeSummary(partSummaries(parts, ""), hists["all/latency"], hists["all/attempt"], secs)
	mergeShapes(&out.Summary, partSummaries(parts, ""), hists, "all")
	for _, name := range typeNames(parts) {
		s := mergeSummary(partSummaries(parts, name), hists[name+"/latency"], hists[name+"/attempt"], secs)
		mergeShapes(&s, partSummaries(parts, name), hists, name)
		out.TxnTypes = append(out.TxnTypes, TxnSummary{Name: name, Summary: s})
	}
	out.Timeline = mergeTimelines(parts)
	out.TopContended = mergeContended(parts)
	out.Notes = mergeNotes(parts)
	out.Notes = append(out.Notes, fmt.Sprintf("merged from %d parts; timeline p50/p99 per interval are the largest of the parts'; top contended keys ranked from each part's top 10", len(parts)))
	recomputeWorkloadMetrics(out)

	out.Wall = WallFacts{Host: strings.Join(hosts, ","), StartedAt: earliestStart(parts)}
	for _, p := range parts {
		out.Wall.WallSeconds = math.Max(out.Wall.WallSeconds, p.Wall.WallSeconds)
		out.Wall.ClientCPUSeconds = round3(out.Wall.ClientCPUSeconds + p.Wall.ClientCPUSeconds)
		out.Wall.NumCPU += p.Wall.NumCPU
	}
	out.Wall.GoVersion, out.Wall.Platform = base.Wall.GoVersion, base.Wall.Platform
	return out, out.Validate()
}

func mergeHistograms(parts []*Result) (map[string]*hdrhistogram.Histogram, error) {
	out := map[string]*hdrhistogram.Histogram{}
	for i, p := range parts {
		for name, enc := range p.Histograms {
			h, err := DecodeHistogram(enc)
			if err != nil {
				return nil, fmt.Errorf("part %d: histogram %q: %w", i+1, name, err)
			}
			if m, ok := out[name]; ok {
				m.Merge(h)
			} else {
				out[name] = h
			}
		}
	}
	return out, nil
}

// partSummaries returns each part's summary of a type ("" = overall).
func partSummaries(parts []*Result, typ string) []Summary {
	var out []Summary
	for _, p := range parts {
		if typ == "" {
			out = append(out, p.Summary)
			continue
		}
		for _, t := range p.TxnTypes {
			if t.Name == typ {
				out = append(out, t.Summary)
			}
		}
	}
	return out
}

// typeNames lists the transaction types in the order the parts show them.
func typeNames(parts []*Result) []string {
	seen := map[string]bool{}
	var names []string
	for _, p := range parts {
		for _, t := range p.TxnTypes {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	return names
}

func mergeSummary(ss []Summary, lat, att *hdrhistogram.Histogram, secs float64) Summary {
	var m Summary
	m.AbortReasons = map[string]int64{}
	var latSum, attSum, retries, txns, stmts float64
	breakdown := map[string]float64{}
	for _, s := range ss {
		m.Committed += s.Committed
		m.Failed += s.Failed
		m.Attempts += s.Attempts
		m.AbortedAttempts += s.AbortedAttempts
		latSum += s.LatencyMs.Mean * 1000 * float64(s.Committed)
		attSum += s.AttemptLatencyMs.Mean * 1000 * float64(s.Attempts)
		n := float64(s.Committed + s.Failed)
		retries += s.RetriesPerTxn * n
		txns += n
		stmts += s.StatementsPerTxn * float64(s.Committed)
		for r, c := range s.AbortReasons {
			m.AbortReasons[r] += c
		}
		for k, v := range s.BreakdownMs {
			breakdown[k] += v * float64(s.Committed)
		}
		for k, v := range s.Participants {
			if m.Participants == nil {
				m.Participants = map[string]int64{}
			}
			m.Participants[k] += v
		}
	}
	m.StatementsPerTxn = round3(ratio(stmts, float64(m.Committed)))
	m.AbortRate = round6(ratio(float64(m.AbortedAttempts), float64(m.Attempts)))
	m.RetriesPerTxn = round6(ratio(retries, txns))
	m.ThroughputTPS = roundSig(ratio(float64(m.Committed), secs))
	m.AttemptsPerS = roundSig(ratio(float64(m.Attempts), secs))
	if lat != nil {
		m.LatencyMs = latencyOf(lat, int64(math.Round(latSum)))
	}
	if att != nil {
		m.AttemptLatencyMs = latencyOf(att, int64(math.Round(attSum)))
	}
	if len(breakdown) > 0 && m.Committed > 0 {
		m.BreakdownMs = map[string]float64{}
		for k, v := range breakdown {
			m.BreakdownMs[k] = round3(v / float64(m.Committed))
		}
	}
	return m
}

// mergeShapes recomputes the latency by commit shape and by statement kind
// from the merged histograms (means weighted by the parts' counts).
func mergeShapes(m *Summary, ss []Summary, hists map[string]*hdrhistogram.Histogram, prefix string) {
	for _, shape := range []string{ShapeSingle, ShapeMulti} {
		if h := hists[prefix+"/latency/"+shape]; h != nil {
			l := mergedLatency(h, ss, func(s Summary) (float64, int64) {
				sl := s.LatencyByShape[shape]
				return sl.Latency.Mean, sl.Committed
			})
			if m.LatencyByShape == nil {
				m.LatencyByShape = map[string]ShapeLatency{}
			}
			m.LatencyByShape[shape] = ShapeLatency{Committed: h.TotalCount(), Latency: l}
		}
	}
	for _, kind := range statementKinds {
		if h := hists[prefix+"/statement/"+kind]; h != nil {
			l := mergedLatency(h, ss, func(s Summary) (float64, int64) {
				sl := s.StatementLatencyMs[kind]
				return sl.Mean, sl.Count
			})
			if m.StatementLatencyMs == nil {
				m.StatementLatencyMs = map[string]StatementLatency{}
			}
			m.StatementLatencyMs[kind] = StatementLatency{Count: h.TotalCount(), Latency: l}
		}
	}
}

// mergedLatency is the latency of merged histogram h, its mean weighted by
// the parts' counts (part gives a part's mean in ms and its count).
func mergedLatency(h *hdrhistogram.Histogram, ss []Summary, part func(Summary) (float64, int64)) Latency {
	var sum float64
	for _, s := range ss {
		mean, n := part(s)
		sum += mean * 1000 * float64(n)
	}
	return latencyOf(h, int64(math.Round(sum)))
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func earliestStart(parts []*Result) string {
	var first time.Time
	var text string
	for _, p := range parts {
		if t, err := time.Parse(time.RFC3339Nano, p.Wall.StartedAt); err == nil && (first.IsZero() || t.Before(first)) {
			first, text = t, p.Wall.StartedAt
		}
	}
	return text
}

// mergeTimelines aligns the parts' intervals on wall-clock time: a part
// that started 1.2 s after the first contributes its interval k to merged
// interval k+1 (rounded to the nearest interval).
func mergeTimelines(parts []*Result) []TimelinePoint {
	interval := time.Second
	if d, err := time.ParseDuration(parts[0].Config["interval"]); err == nil && d > 0 {
		interval = d
	}
	first, _ := time.Parse(time.RFC3339Nano, earliestStart(parts))
	byIndex := map[int]*TimelinePoint{}
	maxIdx := -1
	for _, p := range parts {
		offset := time.Duration(0)
		if t, err := time.Parse(time.RFC3339Nano, p.Wall.StartedAt); err == nil && !first.IsZero() {
			offset = t.Sub(first)
		}
		for _, pt := range p.Timeline {
			at := offset + time.Duration(pt.TS*float64(time.Second))
			i := int(math.Round(float64(at) / float64(interval)))
			m := byIndex[i]
			if m == nil {
				m = &TimelinePoint{TS: round3((time.Duration(i) * interval).Seconds())}
				byIndex[i] = m
			}
			m.Committed += pt.Committed
			m.Failed += pt.Failed
			m.Attempts += pt.Attempts
			m.Aborted += pt.Aborted
			m.P50Ms = math.Max(m.P50Ms, pt.P50Ms)
			m.P99Ms = math.Max(m.P99Ms, pt.P99Ms)
			m.Warmup = m.Warmup || pt.Warmup
			maxIdx = max(maxIdx, i)
		}
	}
	var out []TimelinePoint
	for i := 0; i <= maxIdx; i++ {
		m := byIndex[i]
		if m == nil {
			m = &TimelinePoint{TS: round3((time.Duration(i) * interval).Seconds())}
		}
		m.TPS = roundSig(float64(m.Committed) / interval.Seconds())
		out = append(out, *m)
	}
	return out
}

func mergeContended(parts []*Result) []ContendedKey {
	sum := map[[2]string]int64{}
	for _, p := range parts {
		for _, c := range p.TopContended {
			sum[[2]string{c.Table, c.Key}] += c.Aborts
		}
	}
	var out []ContendedKey
	for k, n := range sum {
		out = append(out, ContendedKey{Table: k[0], Key: k[1], Aborts: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Aborts != out[j].Aborts {
			return out[i].Aborts > out[j].Aborts
		}
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > 10 {
		out = out[:10]
	}
	return out
}

func mergeNotes(parts []*Result) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range parts {
		for _, n := range p.Notes {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// recomputeWorkloadMetrics asks the workload (rebuilt from the recorded
// options) for its figures over the merged counts, so that e.g. TPC-C's
// efficiency is computed once over all warehouses rather than added up.
func recomputeWorkloadMetrics(out *Result) {
	wm, err := workloads.Lookup(out.Workload)
	if err != nil {
		return
	}
	opts, build := workloads.DeclareOptions(wm)
	for _, o := range opts.Options() {
		if v, ok := out.Config[o.Name]; ok {
			_ = o.Set(v)
		}
	}
	wl, err := build(out.Seed)
	if err != nil {
		return
	}
	notes := out.Notes
	workloadReport(out, wl, time.Duration(out.DurationS*float64(time.Second)))
	out.Notes = notes // the parts' notes already include the workload's
}

// CheckParts refuses parts that are not the partitions of one run: a part
// without --partition, two parts of the same partition (their totals would
// be counted twice), partitions missing (unless allowMissing) and parts
// whose options differ beyond the partition. names label the parts in the
// errors (their file names).
func CheckParts(names []string, parts []*Result, allowMissing bool) error {
	var errs []error
	count := 0
	seen := map[int]string{}
	for i, p := range parts {
		var idx, n int
		part := p.Config["partition"]
		if _, err := fmt.Sscanf(part, "%d/%d", &idx, &n); err != nil || n < 2 {
			errs = append(errs, fmt.Errorf("%s is not a part of a partitioned run (its config has no partition i/n); merge the results of one bench run --partition i/n", names[i]))
			continue
		}
		if count == 0 {
			count = n
		} else if n != count {
			errs = append(errs, fmt.Errorf("%s is partition %s but %s is of %d partitions: parts of different runs", names[i], part, names[0], count))
			continue
		}
		if prev, dup := seen[idx]; dup {
			errs = append(errs, fmt.Errorf("%s and %s are both partition %s: merging both would count it twice", prev, names[i], part))
			continue
		}
		seen[idx] = names[i]
		if i > 0 {
			a, b := parts[0], p
			if k, x, y, ok := ConfigDiff(a.Config, b.Config, "partition"); ok {
				errs = append(errs, fmt.Errorf("%s and %s differ in --%s (%s vs %s): only parts of one run can be merged", names[0], names[i], k, x, y))
			}
		}
	}
	if len(errs) == 0 && count > 0 && len(seen) < count && !allowMissing {
		var missing []string
		for i := range count {
			if _, ok := seen[i]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", i, count))
			}
		}
		errs = append(errs, fmt.Errorf("partitions %s are missing (--allow-missing merges the others; the totals then cover only their share)", strings.Join(missing, ", ")))
	}
	return errors.Join(errs...)
}

// ConfigDiff finds the first option (in name order) whose value differs
// between two results' configs, ignoring the given names.
func ConfigDiff(a, b map[string]string, ignore ...string) (key, av, bv string, found bool) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		if !slices.Contains(ignore, k) {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		x, xok := a[k]
		y, yok := b[k]
		if x != y || xok != yok {
			return k, x, y, true
		}
	}
	return "", "", "", false
}
