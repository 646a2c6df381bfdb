package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/runner"
)

// Run options reach the command line as flags derived from their
// declarations (runner.Catalog): a flag holds the text as given, and the
// option's owner parses and checks it once the engine and workload are
// known (runner.Resolve). The command's own flags (--out, --config, ...)
// are ordinary flags.

// optionAnnotation marks a flag that is a declared option.
const optionAnnotation = "txbench/option"

// shorthands of the most used options.
var shorthands = map[string]string{"clients": "c", "duration": "d", "workload": "w"}

// rawValue holds an option's text until its owner parses it; a repeatable
// option's items are kept separated by spaces.
type rawValue struct {
	text       string
	kind       option.Kind
	repeatable bool
	set        bool
}

func (v *rawValue) String() string { return v.text }
func (v *rawValue) Set(s string) error {
	if v.repeatable && v.set {
		v.text += " " + s
	} else {
		v.text = s
	}
	v.set = true
	return nil
}
func (v *rawValue) Type() string { return string(v.kind) }

// addOptionFlags adds a flag for every declared option (each name once).
func addOptionFlags(fs *pflag.FlagSet) {
	for _, s := range runner.Catalog() {
		for _, o := range s.Options() {
			if fs.Lookup(o.Name) != nil {
				continue
			}
			f := fs.VarPF(&rawValue{text: o.Default, kind: o.Kind, repeatable: o.Repeatable}, o.Name, shorthands[o.Name], o.Help)
			if o.Kind == option.Bool {
				f.NoOptDefVal = "true"
			}
			_ = fs.SetAnnotation(o.Name, optionAnnotation, []string{"true"})
		}
	}
}

func isOption(f *pflag.Flag) bool { _, ok := f.Annotations[optionAnnotation]; return ok }

// givenOptions returns the options given on the command line, then those
// of the scenario file (if any) that the command line left unset.
func givenOptions(fs *pflag.FlagSet, scenario string) (map[string]string, error) {
	opts := map[string]string{}
	fs.Visit(func(f *pflag.Flag) {
		if isOption(f) {
			opts[f.Name] = f.Value.String()
		}
	})
	if scenario == "" {
		return opts, nil
	}
	data, err := os.ReadFile(scenario)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	file, lists, err := parseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", scenario, err)
	}
	var errs []error
	names := mapsKeys(file)
	sort.Strings(names)
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil || !isOption(f) {
			errs = append(errs, fmt.Errorf("--config %s: unknown option %q", scenario, name))
			continue
		}
		if _, given := opts[name]; !given {
			opts[name] = file[name]
			// A repeatable option (--fault) takes a list item by item: its
			// items may contain commas themselves.
			if v, ok := f.Value.(*rawValue); ok && v.repeatable && lists[name] != nil {
				opts[name] = strings.Join(lists[name], " ")
			}
		}
	}
	return opts, errors.Join(errs...)
}

func mapsKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// runConfig builds and checks a run's configuration from the command line
// and scenario file: every option is checked against its declaration
// before any work starts.
func runConfig(fs *pflag.FlagSet, scenario string, base runner.Config) (runner.Config, *runner.Resolved, error) {
	opts, err := givenOptions(fs, scenario)
	if err != nil {
		return base, nil, err
	}
	base.Options = opts
	r, err := runner.Resolve(base)
	if err != nil {
		return base, nil, err
	}
	return r.Config, r, nil
}

// setOptionHelp replaces cmd's help with one that groups the options by
// owner; with --engine and --workload (or defaults) it lists only the
// options that apply to them.
func setOptionHelp(cmd *cobra.Command) {
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		writeOptionHelp(c.OutOrStdout(), c)
	})
}

func writeOptionHelp(w io.Writer, cmd *cobra.Command) {
	long := cmd.Long
	if long == "" {
		long = cmd.Short
	}
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s [flags]\n", strings.TrimSpace(long), cmd.CommandPath())
	if cmd.Example != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", cmd.Example)
	}
	own := pflag.NewFlagSet("own", pflag.ContinueOnError)
	own.SortFlags = false
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !isOption(f) && !f.Hidden {
			own.AddFlag(f)
		}
	})
	fmt.Fprintf(w, "\nFlags:\n%s", own.FlagUsages())

	fs := cmd.Flags()
	sets := runner.Catalog()
	narrowed := fs.Changed("engine") || fs.Changed("workload") || fs.Changed("engines")
	if narrowed {
		cfg := runner.DefaultConfig()
		cfg.Options = map[string]string{}
		for _, name := range []string{"engine", "workload"} {
			if f := fs.Lookup(name); f != nil && f.Changed {
				cfg.Options[name] = f.Value.String()
			}
		}
		if f := fs.Lookup("workload"); f != nil && !f.Changed && f.DefValue != "" {
			cfg.Options["workload"] = f.DefValue // bench check defaults to tpcc
		}
		engineNames := []string{}
		if f := fs.Lookup("engines"); f != nil && f.Changed {
			engineNames = strings.Split(f.Value.String(), ",")
		} else {
			engineNames = append(engineNames, cfg.Options["engine"])
		}
		sets = nil
		for _, e := range engineNames {
			c := cfg
			if e != "" {
				c.Options = map[string]string{"engine": strings.TrimSpace(e), "workload": cfg.Options["workload"]}
				if c.Options["workload"] == "" {
					delete(c.Options, "workload")
				}
			}
			r, err := runner.Resolve(c)
			if err != nil {
				fmt.Fprintf(w, "\n(%s; listing every option)\n", oneLine(err.Error()))
				sets = runner.Catalog()
				break
			}
			for _, s := range r.Sets {
				if !slices.ContainsFunc(sets, func(x *option.Set) bool { return x.Owner() == s.Owner() }) {
					sets = append(sets, s)
				}
			}
		}
	}
	for _, g := range groupOptions(sets) {
		fmt.Fprintf(w, "\nOptions of %s:\n", g.title)
		for _, line := range g.lines {
			fmt.Fprintln(w, line)
		}
	}
	if !narrowed {
		fmt.Fprintf(w, "\nGive --engine and --workload with --help to see only the options that apply.\n")
	}
}

type optionGroup struct {
	title string
	lines []string
}

// groupOptions groups the options by the owners that declare them: an
// option every ycsb variant declares is listed once, under all of them.
func groupOptions(sets []*option.Set) []optionGroup {
	type decl struct {
		name   string
		owners []string
		opts   []*option.Option
	}
	var names []string
	decls := map[string]*decl{}
	for _, s := range sets {
		for _, o := range s.Options() {
			d := decls[o.Name]
			if d == nil {
				d = &decl{name: o.Name}
				decls[o.Name] = d
				names = append(names, o.Name)
			}
			d.owners = append(d.owners, s.Owner())
			d.opts = append(d.opts, o)
		}
	}
	var groups []optionGroup
	index := map[string]int{}
	for _, n := range names {
		d := decls[n]
		title := ownersTitle(d.owners)
		i, ok := index[title]
		if !ok {
			i = len(groups)
			index[title] = i
			groups = append(groups, optionGroup{title: title})
		}
		groups[i].lines = append(groups[i].lines, optionLine(d.opts)...)
	}
	return groups
}

// ownersTitle shortens "workload ycsb, workload ycsb-a, ..." to
// "workloads ycsb, ycsb-a, ...".
func ownersTitle(owners []string) string {
	if len(owners) == 1 {
		return owners[0]
	}
	kind, _, _ := strings.Cut(owners[0], " ")
	names := make([]string, len(owners))
	for i, o := range owners {
		k, n, ok := strings.Cut(o, " ")
		if !ok || k != kind {
			return strings.Join(owners, ", ")
		}
		names[i] = n
	}
	sort.Strings(names)
	return kind + "s " + strings.Join(names, ", ")
}

// optionLine formats an option: name, kind, help, range and default; where
// its owners declare it differently, each owner's range and default.
func optionLine(opts []*option.Option) []string {
	o := opts[0]
	flag := "  --" + o.Name
	if sh := shorthands[o.Name]; sh != "" {
		flag = "  -" + sh + ", --" + o.Name
	}
	head := fmt.Sprintf("%-30s %s", flag+" "+string(o.Kind), o.Help)
	same := true
	for _, x := range opts[1:] {
		if x.Range() != o.Range() || x.Default != o.Default || x.Help != o.Help {
			same = false
		}
	}
	if same {
		return []string{head + facts(o)}
	}
	lines := []string{fmt.Sprintf("%-30s %s", flag+" "+string(o.Kind), "differs by owner:")}
	for _, x := range opts {
		lines = append(lines, fmt.Sprintf("%-30s %s: %s%s", "", x.Owner, x.Help, facts(x)))
	}
	return lines
}

func facts(o *option.Option) string {
	var parts []string
	if r := o.Range(); r != "" {
		if o.Unit != "" {
			r += " " + o.Unit
		}
		parts = append(parts, r)
	}
	if o.Default != "" {
		parts = append(parts, "default "+o.Default)
	}
	if o.Data {
		parts = append(parts, "changes the loaded data")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}
