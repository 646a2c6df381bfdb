package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// applyOptions is the first step of every command that takes run options:
// the scenario file (if any) fills what the command line left unset, then
// negative values are rejected.
func applyOptions(fs *pflag.FlagSet, scenario string) error {
	if scenario != "" {
		if err := applyScenario(fs, scenario); err != nil {
			return err
		}
	}
	return checkNegatives(fs)
}

// applyScenario reads a scenario file — a YAML mapping from option names
// (the long flag names, without dashes) to values — and sets every option
// not given on the command line, so flags override the file.
func applyScenario(fs *pflag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	opts, lists, err := parseScenario(data)
	if err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	names := make([]string, 0, len(opts))
	for n := range opts {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil || name == "config" {
			errs = append(errs, fmt.Errorf("%s: unknown option %q", path, name))
			continue
		}
		if f.Changed {
			continue
		}
		// A repeatable option (--fault) takes a list item by item: its
		// values may contain commas themselves.
		vals := []string{opts[name]}
		if r, ok := f.Value.(interface{ Repeatable() bool }); ok && r.Repeatable() && lists[name] != nil {
			vals = lists[name]
		}
		for _, v := range vals {
			if err := fs.Set(name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: option %q: %v", path, name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// parseScenario turns the YAML mapping into flag-name → value strings.
// Lists become comma-separated values; lists also keeps their items, for
// repeatable options.
func parseScenario(data []byte) (out map[string]string, lists map[string][]string, err error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("malformed YAML: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	out, lists = map[string]string{}, map[string][]string{}
	for k, v := range raw {
		switch x := v.(type) {
		case map[string]any:
			return nil, nil, fmt.Errorf("option %q: nested mappings are not options (use flat option names)", k)
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			out[k] = strings.Join(parts, ",")
			lists[k] = parts
		case nil:
			return nil, nil, fmt.Errorf("option %q: no value", k)
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out, lists, nil
}
