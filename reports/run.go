package reports

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/txbench/txbench/runner"
)

// Run is one results file in a report: its result and the short label the
// tables and chart legends call it by.
type Run struct {
	Label  string
	Path   string // where it was read from; "" for a result made in memory
	Result *runner.Result
}

// Load reads and validates results files, in order, and labels them (see
// Label). The first bad file stops the load; its error is one line that
// starts with the file's path, as runner.ReadResult gives it.
func Load(paths ...string) ([]Run, error) {
	runs := make([]Run, 0, len(paths))
	for _, p := range paths {
		r, err := runner.ReadResult(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, Run{Path: p, Result: r})
	}
	Label(runs)
	return runs, nil
}

// Headline sums a run up in one line: its label, committed per second, p99
// and abort rate, and where its results file is.
func (r Run) Headline() string {
	s := r.Result.Summary
	line := fmt.Sprintf("%s: %s tps · p99 %s ms · abort %s", r.Label, formatRate(s.ThroughputTPS),
		formatMs(s.LatencyMs.P99, s.Committed), formatPct(s.AbortRate))
	if r.Result.Partial {
		line += " (partial)"
	}
	if r.Path != "" {
		line += " → " + r.Path
	}
	return line
}

// Label gives every run without a label a short, distinct one: the engine
// when that tells the runs apart; otherwise the engine followed by the
// options that differ between the runs (at most two, e.g. "occ clients=64");
// otherwise the file name. Labels already set are kept.
func Label(runs []Run) {
	var todo []int
	for i := range runs {
		if runs[i].Label == "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return
	}
	diff := differingOptions(runs)
	varying := varyingOptions(runs)
	candidates := []func(r *Run) string{
		func(r *Run) string { return r.Result.Engine },
		// What differs between runs of one engine names them ("occ θ=0.9"),
		// never the options an engine brings with it (occ's own knobs
		// differ from 2pc's in every pair of runs).
		func(r *Run) string {
			if len(varying) == 0 {
				return ""
			}
			parts := []string{r.Result.Engine}
			for _, k := range varying {
				if v, ok := r.Result.Config[k]; ok {
					parts = append(parts, optionName(k)+"="+v)
				}
			}
			return strings.Join(parts, " ")
		},
		func(r *Run) string {
			parts := []string{r.Result.Engine}
			n := 0
			for _, k := range diff {
				if k == "engine" {
					continue
				}
				if n == 2 {
					break
				}
				parts = append(parts, k+"="+r.Result.Config[k])
				n++
			}
			return strings.Join(parts, " ")
		},
		func(r *Run) string {
			if r.Path == "" {
				return ""
			}
			return strings.TrimSuffix(filepath.Base(r.Path), ".json")
		},
	}
	for _, label := range candidates {
		if labels := labelsWith(runs, todo, label); labels != nil {
			for j, i := range todo {
				runs[i].Label = labels[j]
			}
			return
		}
	}
	for _, i := range todo {
		runs[i].Label = fmt.Sprintf("#%d %s", i+1, runs[i].Result.Engine)
	}
}

// labelsWith returns the labels label gives the runs in todo, or nil when
// one is empty or two runs (labelled already or not) would share one.
func labelsWith(runs []Run, todo []int, label func(*Run) string) []string {
	seen := map[string]bool{}
	for i := range runs {
		if runs[i].Label != "" {
			seen[runs[i].Label] = true
		}
	}
	out := make([]string, len(todo))
	for j, i := range todo {
		l := label(&runs[i])
		if l == "" || seen[l] {
			return nil
		}
		seen[l] = true
		out[j] = l
	}
	return out
}

// differingOptions lists the config options whose values are not the same
// in every run, sorted, "engine" first when it differs. An option missing
// from a run counts as a value of its own.
func differingOptions(runs []Run) []string {
	keys := map[string]bool{}
	for _, r := range runs {
		for k := range r.Result.Config {
			keys[k] = true
		}
	}
	var out []string
	for k := range keys {
		first, ok0 := runs[0].Result.Config[k]
		for _, r := range runs[1:] {
			if v, ok := r.Result.Config[k]; v != first || ok != ok0 {
				out = append(out, k)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "engine":
			return -1
		case b == "engine":
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

// varyingOptions lists, sorted, the options whose values differ between
// two runs of the same engine that both have them: what a reader varied,
// as against what comes with the engine.
func varyingOptions(runs []Run) []string {
	var out []string
	for _, k := range differingOptions(runs) {
		for i := range runs {
			vi, ok := runs[i].Result.Config[k]
			if !ok || k == "engine" {
				continue
			}
			if slices.ContainsFunc(runs[i+1:], func(r Run) bool {
				v, ok := r.Result.Config[k]
				return ok && r.Result.Engine == runs[i].Result.Engine && v != vi
			}) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// optionName is how a label or title writes an option: θ for theta.
func optionName(k string) string {
	if k == "theta" {
		return "θ"
	}
	return k
}

// commonOptions returns the options every run has with the same value.
func commonOptions(runs []Run) map[string]string {
	if len(runs) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range runs[0].Result.Config {
		same := true
		for _, r := range runs[1:] {
			if w, ok := r.Result.Config[k]; !ok || w != v {
				same = false
				break
			}
		}
		if same {
			out[k] = v
		}
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
