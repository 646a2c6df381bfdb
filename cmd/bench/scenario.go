package main

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

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
