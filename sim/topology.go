package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Link is a round-trip-time distribution: log-normal, fitted to a median and
// a 99th percentile. P99 <= Median means no spread.
type Link struct {
	Median time.Duration `yaml:"median"`
	P99    time.Duration `yaml:"p99"`
}

// Sample draws one round trip. With jitter off it is the median.
func (l Link) Sample(rng *rand.Rand, jitter bool) time.Duration {
	return l.LogNormal().Sample(rng, jitter)
}

// LogNormal is a link's distribution with its σ worked out once, for a
// caller that draws from it many times (a device's latency on every
// commit): the logarithm is a few percent of a run otherwise.
type LogNormal struct {
	median time.Duration
	sigma  float64
	spread bool // P99 above a positive median
}

// LogNormal returns l's distribution.
func (l Link) LogNormal() LogNormal {
	return LogNormal{median: l.Median, sigma: l.sigma(), spread: l.P99 > l.Median && l.Median > 0}
}

// Sample draws one value, as Link.Sample does. With jitter off it is the
// median.
func (d LogNormal) Sample(rng *rand.Rand, jitter bool) time.Duration {
	if !jitter || !d.spread {
		return d.median
	}
	return time.Duration(float64(d.median) * math.Exp(d.sigma*rng.NormFloat64()))
}

// sigma is the log-normal's σ (0 when the link has no spread): ln X ~
// N(mu, σ²), median = e^mu, p99 = e^(mu + 2.3263·σ).
func (l Link) sigma() float64 {
	if l.P99 <= l.Median || l.Median <= 0 {
		return 0
	}
	return math.Log(float64(l.P99)/float64(l.Median)) / 2.326347874
}

// Region is a cloud region with availability zones. A witness region holds
// only log replicas (DSQL's witness region), never data or clients.
type Region struct {
	Name    string   `yaml:"name"`
	AZs     []string `yaml:"azs"`
	Witness bool     `yaml:"witness,omitempty"`
}

// RegionLink is the RTT between two regions.
type RegionLink struct {
	A   string `yaml:"a"`
	B   string `yaml:"b"`
	RTT Link   `yaml:"rtt"`
}

// Topology is the geography of a simulated cluster: where nodes can be and
// how long messages between them take. Engines place their own nodes in it.
type Topology struct {
	Name    string       `yaml:"name"`
	Regions []Region     `yaml:"regions"`
	IntraAZ Link         `yaml:"intra_az"`
	CrossAZ Link         `yaml:"cross_az"`
	Links   []RegionLink `yaml:"links"`
}

// Intra-region numbers shared by the presets: ~0.1 ms inside an AZ, ~1 ms
// across AZs of a region (the brief's figures; p99 about 2× the median).
var (
	defaultIntraAZ = Link{Median: 100 * time.Microsecond, P99: 250 * time.Microsecond}
	defaultCrossAZ = Link{Median: 1000 * time.Microsecond, P99: 1800 * time.Microsecond}
)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func threeAZ(region string) []string {
	return []string{region + "a", region + "b", region + "c"}
}

var presets = map[string]func() *Topology{
	"single-az": func() *Topology {
		return &Topology{Name: "single-az",
			Regions: []Region{{Name: "us-east-1", AZs: []string{"us-east-1a"}}},
			IntraAZ: defaultIntraAZ, CrossAZ: defaultCrossAZ}
	},
	"region-3az": func() *Topology {
		return &Topology{Name: "region-3az",
			Regions: []Region{{Name: "us-east-1", AZs: threeAZ("us-east-1")}},
			IntraAZ: defaultIntraAZ, CrossAZ: defaultCrossAZ}
	},
	// Aurora DSQL's multi-region set-up: two full regions and a witness.
	"us-3": func() *Topology {
		return &Topology{Name: "us-3",
			Regions: []Region{
				{Name: "us-east-1", AZs: threeAZ("us-east-1")},
				{Name: "us-east-2", AZs: threeAZ("us-east-2")},
				{Name: "us-west-2", AZs: threeAZ("us-west-2"), Witness: true},
			},
			IntraAZ: defaultIntraAZ, CrossAZ: defaultCrossAZ,
			Links: []RegionLink{
				{A: "us-east-1", B: "us-east-2", RTT: Link{Median: ms(11.5), P99: ms(14.4)}},
				{A: "us-east-1", B: "us-west-2", RTT: Link{Median: ms(65), P99: ms(72)}},
				{A: "us-east-2", B: "us-west-2", RTT: Link{Median: ms(50), P99: ms(56)}},
			}}
	},
	// Spanner OSDI'12 §5.2's availability set-up (Figure 5): five zones,
	// each a region of its own here so that split leaders can all be put
	// in one zone (--leader-region zone-1), about a millisecond apart.
	"zones-5": func() *Topology {
		t := &Topology{Name: "zones-5", IntraAZ: defaultIntraAZ, CrossAZ: defaultCrossAZ}
		for i := 1; i <= 5; i++ {
			r := fmt.Sprintf("zone-%d", i)
			t.Regions = append(t.Regions, Region{Name: r, AZs: []string{r + "a"}})
			for j := 1; j < i; j++ {
				t.Links = append(t.Links, RegionLink{A: fmt.Sprintf("zone-%d", j), B: r, RTT: defaultCrossAZ})
			}
		}
		return t
	},
	"global-3": func() *Topology {
		return &Topology{Name: "global-3",
			Regions: []Region{
				{Name: "us-east-1", AZs: threeAZ("us-east-1")},
				{Name: "eu-west-1", AZs: threeAZ("eu-west-1")},
				{Name: "ap-northeast-1", AZs: threeAZ("ap-northeast-1")},
			},
			IntraAZ: defaultIntraAZ, CrossAZ: defaultCrossAZ,
			Links: []RegionLink{
				{A: "us-east-1", B: "eu-west-1", RTT: Link{Median: ms(70), P99: ms(78)}},
				{A: "us-east-1", B: "ap-northeast-1", RTT: Link{Median: ms(150), P99: ms(165)}},
				{A: "eu-west-1", B: "ap-northeast-1", RTT: Link{Median: ms(210), P99: ms(230)}},
			}}
	},
}

// PresetNames lists the built-in topologies.
func PresetNames() []string {
	var ns []string
	for n := range presets {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Preset returns a built-in topology by name.
func Preset(name string) (*Topology, error) {
	f, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("unknown topology preset %q (known: %s, or a path to a YAML file)", name, strings.Join(PresetNames(), ", "))
	}
	return f(), nil
}

// LoadTopology returns a preset by name, or parses a YAML file when name
// names one (it contains a path separator or ends in .yaml/.yml).
func LoadTopology(name string) (*Topology, error) {
	if !strings.ContainsRune(name, os.PathSeparator) && !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
		return Preset(name)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	t, err := ParseTopology(data)
	if err != nil {
		return nil, fmt.Errorf("topology %s: %w", name, err)
	}
	return t, nil
}

// ParseTopology parses a YAML topology and validates it. Durations are Go
// duration strings ("1ms", "250us"). Unknown fields are errors, so a typo
// cannot silently fall back to a default.
func ParseTopology(data []byte) (*Topology, error) {
	var t Topology
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("malformed YAML: %s", oneLine(err.Error()))
	}
	if t.IntraAZ == (Link{}) {
		t.IntraAZ = defaultIntraAZ
	}
	if t.CrossAZ == (Link{}) {
		t.CrossAZ = defaultCrossAZ
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Validate returns every problem at once, each naming its field.
func (t *Topology) Validate() error {
	var errs []error
	if len(t.Regions) == 0 {
		errs = append(errs, errors.New("regions: at least one region is needed"))
	}
	regions := map[string]bool{}
	azs := map[string]bool{}
	full := 0
	for i, r := range t.Regions {
		if r.Name == "" {
			errs = append(errs, fmt.Errorf("regions[%d].name: empty", i))
		}
		if regions[r.Name] {
			errs = append(errs, fmt.Errorf("regions[%d].name: %q appears twice", i, r.Name))
		}
		regions[r.Name] = true
		if len(r.AZs) == 0 {
			errs = append(errs, fmt.Errorf("regions[%d].azs: region %q has no availability zone", i, r.Name))
		}
		for _, az := range r.AZs {
			if azs[az] {
				errs = append(errs, fmt.Errorf("regions[%d].azs: %q appears twice", i, az))
			}
			azs[az] = true
		}
		if !r.Witness {
			full++
		}
	}
	if len(t.Regions) > 0 && full == 0 {
		errs = append(errs, errors.New("regions: every region is a witness; at least one must hold data"))
	}
	for name, l := range map[string]Link{"intra_az": t.IntraAZ, "cross_az": t.CrossAZ} {
		if l.Median < 0 || l.P99 < 0 {
			errs = append(errs, fmt.Errorf("%s: negative RTT", name))
		}
	}
	pairs := map[[2]string]bool{}
	for i, l := range t.Links {
		if !regions[l.A] {
			errs = append(errs, fmt.Errorf("links[%d].a: unknown region %q", i, l.A))
		}
		if !regions[l.B] {
			errs = append(errs, fmt.Errorf("links[%d].b: unknown region %q", i, l.B))
		}
		if l.RTT.Median <= 0 {
			errs = append(errs, fmt.Errorf("links[%d].rtt.median: must be positive", i))
		}
		if l.RTT.P99 != 0 && l.RTT.P99 < l.RTT.Median {
			errs = append(errs, fmt.Errorf("links[%d].rtt.p99: smaller than the median", i))
		}
		pairs[[2]string{l.A, l.B}] = true
		pairs[[2]string{l.B, l.A}] = true
	}
	for i := range t.Regions {
		for j := i + 1; j < len(t.Regions); j++ {
			a, b := t.Regions[i].Name, t.Regions[j].Name
			if !pairs[[2]string{a, b}] {
				errs = append(errs, fmt.Errorf("links: no RTT between %q and %q", a, b))
			}
		}
	}
	sortErrs(errs)
	return errors.Join(errs...)
}

// sortErrs orders errors by text so that map iteration never changes output.
func sortErrs(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

// Region returns the named region or nil.
func (t *Topology) Region(name string) *Region {
	for i := range t.Regions {
		if t.Regions[i].Name == name {
			return &t.Regions[i]
		}
	}
	return nil
}

// FullRegions are the regions that hold data (not witnesses), in order.
func (t *Topology) FullRegions() []*Region {
	var out []*Region
	for i := range t.Regions {
		if !t.Regions[i].Witness {
			out = append(out, &t.Regions[i])
		}
	}
	return out
}

// RegionOf returns the region an AZ belongs to.
func (t *Topology) RegionOf(az string) string {
	for _, r := range t.Regions {
		for _, a := range r.AZs {
			if a == az {
				return r.Name
			}
		}
	}
	return ""
}

// RTT returns the round-trip distribution between two AZs.
func (t *Topology) RTT(azA, azB string) Link {
	if azA == azB {
		return t.IntraAZ
	}
	ra, rb := t.RegionOf(azA), t.RegionOf(azB)
	if ra == rb {
		return t.CrossAZ
	}
	for _, l := range t.Links {
		if (l.A == ra && l.B == rb) || (l.A == rb && l.B == ra) {
			return l.RTT
		}
	}
	panic(fmt.Sprintf("sim: no link between regions %q and %q (topology not validated?)", ra, rb))
}

// Scaled returns a copy with every RTT multiplied by f (for RTT sweeps).
func (t *Topology) Scaled(f float64) *Topology {
	c := *t
	sc := func(l Link) Link {
		return Link{Median: time.Duration(float64(l.Median) * f), P99: time.Duration(float64(l.P99) * f)}
	}
	c.IntraAZ, c.CrossAZ = sc(t.IntraAZ), sc(t.CrossAZ)
	c.Links = make([]RegionLink, len(t.Links))
	for i, l := range t.Links {
		c.Links[i] = RegionLink{A: l.A, B: l.B, RTT: sc(l.RTT)}
	}
	return &c
}
