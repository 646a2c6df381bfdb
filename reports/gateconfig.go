package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// GateConfig says which figures a performance gate checks and how much
// each may worsen.
//
// A gate file (YAML; unknown fields are errors):
//
//	alpha: 0.05          # significance level with several runs per side
//	confidence: 0.95     # of the intervals shown with several runs per side
//	fail_on: regression  # or "change": a change beyond a limit in either direction fails
//	overall:             # the whole run
//	  throughput_drop: 5%
//	  p50_increase: 10%
//	  p99_increase: 10%
//	  abort_rate_increase: 1pp   # percentage points of attempts
//	types:               # per transaction type; "*" is every type
//	  "*":       {p99_increase: 20%}
//	  new-order: {p99_increase: 15%, throughput_drop: off}
//
// Limits: throughput_drop, mean_increase, p50_increase, p95_increase,
// p99_increase and p999_increase are relative ("5%" or 0.05);
// abort_rate_increase is absolute, in percentage points ("1pp" or 0.01);
// "off" turns a limit inherited from "*" off. A figure without a limit is
// not checked.
type GateConfig struct {
	Alpha      float64
	Confidence float64
	// FailOnChange makes a change beyond a limit fail in either direction:
	// for an exact (deterministic) baseline an unexpected improvement means
	// the model changed too, and the baseline must be updated on purpose.
	FailOnChange bool
	Overall      Limits
	// Types holds per transaction type limits; "*" applies to every type,
	// a named type's own limits override it metric by metric.
	Types map[string]Limits
}

// Limits maps a metric ("throughput", "p99", "abort_rate", ...) to the
// worsening it tolerates: relative for throughput and latencies, absolute
// (a fraction of attempts) for the abort rate. A NaN limit is "off".
type Limits map[string]float64

// DefaultGateConfig is the gate without a --config: throughput may drop 5%,
// p50 and p99 may rise 10%, the abort rate 1 percentage point, overall and
// per transaction type; α = 0.05 and 95% intervals with several runs.
func DefaultGateConfig() *GateConfig {
	l := Limits{"throughput": 0.05, "p50": 0.10, "p99": 0.10, "abort_rate": 0.01}
	return &GateConfig{
		Alpha:      0.05,
		Confidence: 0.95,
		Overall:    l,
		Types:      map[string]Limits{"*": l},
	}
}

// gateMetrics are the figures a gate can check, in the order checks are
// listed.
var gateMetrics = []struct {
	name, key string
}{
	{"throughput", "throughput_drop"},
	{"mean", "mean_increase"},
	{"p50", "p50_increase"},
	{"p95", "p95_increase"},
	{"p99", "p99_increase"},
	{"p999", "p999_increase"},
	{"abort_rate", "abort_rate_increase"},
}

// gateFile is the YAML layout of a gate file.
type gateFile struct {
	Alpha      *float64                        `yaml:"alpha"`
	Confidence *float64                        `yaml:"confidence"`
	FailOn     string                          `yaml:"fail_on"`
	Overall    map[string]yaml.Node            `yaml:"overall"`
	Types      map[string]map[string]yaml.Node `yaml:"types"`
}

// LoadGateConfig reads a gate file; errors name the file and the field.
func LoadGateConfig(path string) (*GateConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	c, err := ParseGateConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseGateConfig parses the content of a gate file; every problem is
// reported at once, each naming its field.
func ParseGateConfig(data []byte) (*GateConfig, error) {
	var f gateFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("malformed gate file: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	c := &GateConfig{Alpha: 0.05, Confidence: 0.95, Overall: Limits{}, Types: map[string]Limits{}}
	var errs []error
	if f.Alpha != nil {
		c.Alpha = *f.Alpha
		if !(c.Alpha > 0 && c.Alpha < 1) {
			errs = append(errs, fmt.Errorf("alpha must be in (0, 1), got %v", *f.Alpha))
		}
	}
	if f.Confidence != nil {
		c.Confidence = *f.Confidence
		if !(c.Confidence > 0 && c.Confidence < 1) {
			errs = append(errs, fmt.Errorf("confidence must be in (0, 1), got %v", *f.Confidence))
		}
	}
	switch f.FailOn {
	case "", "regression":
	case "change":
		c.FailOnChange = true
	default:
		errs = append(errs, fmt.Errorf("fail_on must be regression or change, got %q", f.FailOn))
	}
	var err error
	if c.Overall, err = parseLimits("overall", f.Overall); err != nil {
		errs = append(errs, err)
	}
	for _, name := range sortedKeys(f.Types) {
		l, err := parseLimits("types."+name, f.Types[name])
		if err != nil {
			errs = append(errs, err)
		}
		c.Types[name] = l
	}
	if len(c.Overall) == 0 && len(c.Types) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no limits: set overall and/or types"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// parseLimits reads one scope's limits.
func parseLimits(scope string, m map[string]yaml.Node) (Limits, error) {
	out := Limits{}
	var errs []error
	for _, key := range sortedKeys(m) {
		metric := ""
		for _, gm := range gateMetrics {
			if gm.key == key {
				metric = gm.name
			}
		}
		if metric == "" {
			var known []string
			for _, gm := range gateMetrics {
				known = append(known, gm.key)
			}
			errs = append(errs, fmt.Errorf("%s: unknown limit %q (known: %s)", scope, key, strings.Join(known, ", ")))
			continue
		}
		node := m[key]
		v, err := parseLimit(metric, node.Value)
		if err != nil || node.Kind != yaml.ScalarNode {
			if err == nil {
				err = errors.New("want a scalar")
			}
			errs = append(errs, fmt.Errorf("%s.%s: %v", scope, key, err))
			continue
		}
		out[metric] = v
	}
	return out, errors.Join(errs...)
}

// parseLimit reads a limit: "5%" or 0.05 for relative limits, "1pp" or
// 0.01 for the abort rate, "off" for none (NaN).
func parseLimit(metric, s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return math.NaN(), nil
	}
	scale := 1.0
	switch {
	case metric == "abort_rate" && strings.HasSuffix(s, "pp"):
		s, scale = strings.TrimSuffix(s, "pp"), 0.01
	case metric == "abort_rate" && strings.HasSuffix(s, "%"):
		return 0, fmt.Errorf("%q: the abort rate limit is in percentage points of attempts: write e.g. 1pp", s)
	case metric != "abort_rate" && strings.HasSuffix(s, "pp"):
		return 0, fmt.Errorf("%q: this limit is relative: write e.g. 5%%", s)
	case strings.HasSuffix(s, "%"):
		s, scale = strings.TrimSuffix(s, "%"), 0.01
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a limit (want e.g. 5%%, 0.05, 1pp or off)", s)
	}
	if x < 0 {
		return 0, fmt.Errorf("%q: a limit must not be negative", s)
	}
	return x * scale, nil
}

// limitsFor returns the limits of a transaction type: "*" overridden by
// the type's own.
func (c *GateConfig) limitsFor(typ string) Limits {
	if typ == "total" {
		return c.Overall
	}
	out := Limits{}
	for k, v := range c.Types["*"] {
		out[k] = v
	}
	for k, v := range c.Types[typ] {
		out[k] = v
	}
	return out
}
