package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// FaultKind names what a fault does.
type FaultKind string

const (
	// FaultCrash stops a node, or every node of an AZ or a region: it
	// neither processes nor answers until it restarts.
	FaultCrash FaultKind = "crash"
	// FaultPartition loses every message between two sets of places (or, one
	// way, from the first set to the second).
	FaultPartition FaultKind = "partition"
	// FaultSlow adds one-way delay (and optional jitter) between two places.
	FaultSlow FaultKind = "slow"
	// FaultEpsilon raises every clock's uncertainty bound to a value (Spanner's
	// time masters lost: ε grows while the fault lasts).
	FaultEpsilon FaultKind = "epsilon"
	// FaultHandoff moves every leadership role held in a place (split
	// leaders, adjudicators, shard primaries) to replicas elsewhere, at an
	// instant, the way an operator drains a zone before taking it down
	// (Spanner OSDI'12 Figure 5's "leader-soft": leaders told to hand off
	// before the kill). Engines that model it register with OnHandoff.
	FaultHandoff FaultKind = "handoff"
	// FaultKillConnections ends the run's own connections to a real database
	// (pg only; it has no meaning inside the simulation).
	FaultKillConnections FaultKind = "kill-connections"
)

// FaultSyntax documents the --fault forms, for help texts.
const FaultSyntax = `KIND:TARGET@START[+DURATION]; times from the start of the run (warm-up included), no +DURATION = permanent:
  crash:PLACE                 a node, an AZ or a region stops (e.g. crash:us-east-2@10s+20s)
  partition:PLACES|PLACES     messages between the two sides are lost (comma-separated places, e.g. partition:us-east-1a|us-east-1b,us-east-1c@5s+10s)
  partition:PLACES>PLACES     one way: messages from the left side to the right side are lost
  slow:PLACE|PLACE=DELAY[~JITTER]  added one-way delay (plus uniform jitter) between two places (e.g. slow:us-east-1|us-east-2=50ms@5s+10s)
  epsilon=VALUE               every clock's uncertainty ε rises to VALUE (e.g. epsilon=100ms@5s+5s)
  handoff:PLACE               at START, leaders in PLACE hand leadership to replicas elsewhere, a drain before a
                              planned kill (2pc only; e.g. handoff:us-east-1@4s then crash:us-east-1@5s)
  kill-connections            pg only: end the run's own backends at START (e.g. kill-connections@10s)`

// Fault is one scheduled failure. Places are named by the topology's own
// names (a region, an AZ) or by a node's name.
type Fault struct {
	Kind FaultKind
	// Places: crash: the one place; partition: the left side; slow: the
	// first place.
	Places []string
	// Other: partition: the right side; slow: the second place.
	Other []string
	// OneWay: partition: only messages from Places to Other are lost.
	OneWay bool
	// Delay and Jitter: slow: added one-way delay, plus a uniform draw in
	// [0, Jitter].
	Delay, Jitter time.Duration
	// Epsilon: epsilon: the raised bound.
	Epsilon time.Duration
	// Start is the virtual time from the start of the run; Duration 0 means
	// permanent.
	Start, Duration time.Duration
}

// Permanent reports whether the fault never ends.
func (f Fault) Permanent() bool { return f.Duration == 0 }

// End is when the fault ends (meaningless when Permanent).
func (f Fault) End() Time { return f.Start + f.Duration }

// Active reports whether the fault is in force at t.
func (f Fault) Active(t Time) bool {
	return t >= f.Start && (f.Permanent() || t < f.End())
}

// String is the canonical --fault form; ParseFault reads it back.
func (f Fault) String() string {
	var b strings.Builder
	switch f.Kind {
	case FaultCrash, FaultHandoff:
		b.WriteString(string(f.Kind) + ":" + f.Places[0])
	case FaultPartition:
		sep := "|"
		if f.OneWay {
			sep = ">"
		}
		b.WriteString("partition:" + strings.Join(f.Places, ",") + sep + strings.Join(f.Other, ","))
	case FaultSlow:
		b.WriteString("slow:" + f.Places[0] + "|" + f.Other[0] + "=" + f.Delay.String())
		if f.Jitter > 0 {
			b.WriteString("~" + f.Jitter.String())
		}
	case FaultEpsilon:
		b.WriteString("epsilon=" + f.Epsilon.String())
	default:
		b.WriteString(string(f.Kind))
	}
	b.WriteString("@" + f.Start.String())
	if !f.Permanent() {
		b.WriteString("+" + f.Duration.String())
	}
	return b.String()
}

// ParseFault reads one fault in the --fault syntax (FaultSyntax). Errors
// quote the specification and say what is wrong with it.
func ParseFault(spec string) (Fault, error) {
	f, err := parseFault(strings.TrimSpace(spec))
	if err != nil {
		return Fault{}, fmt.Errorf("fault %q: %w", spec, err)
	}
	return f, nil
}

func parseFault(s string) (Fault, error) {
	var f Fault
	head, when, ok := strings.Cut(s, "@")
	if !ok {
		return f, errors.New("no @START (want KIND:TARGET@START[+DURATION], e.g. crash:us-east-1a@10s+20s)")
	}
	start, dur, hasDur := strings.Cut(when, "+")
	var err error
	if f.Start, err = parseFaultDuration(start, "start"); err != nil {
		return f, err
	}
	if hasDur {
		if f.Duration, err = parseFaultDuration(dur, "duration"); err != nil {
			return f, err
		}
		if f.Duration == 0 {
			return f, errors.New("duration must be positive (leave out +DURATION for a permanent fault)")
		}
	}
	if v, ok := strings.CutPrefix(head, "epsilon="); ok {
		f.Kind = FaultEpsilon
		if f.Epsilon, err = parseFaultDuration(v, "epsilon"); err != nil {
			return f, err
		}
		return f, nil
	}
	if head == string(FaultKillConnections) {
		f.Kind = FaultKillConnections
		if hasDur {
			return f, errors.New("kill-connections happens at an instant; it takes no +DURATION")
		}
		return f, nil
	}
	kind, target, ok := strings.Cut(head, ":")
	f.Kind = FaultKind(kind)
	if !ok || target == "" {
		switch f.Kind {
		case FaultCrash, FaultPartition, FaultSlow, FaultHandoff:
			return f, fmt.Errorf("%s needs a target (%s:...)", kind, kind)
		}
		return f, fmt.Errorf("unknown kind %q (known: crash, partition, slow, epsilon=, handoff, kill-connections)", kind)
	}
	switch f.Kind {
	case FaultHandoff:
		if f.Places, err = places(target, "handoff"); err != nil {
			return f, err
		}
		if len(f.Places) != 1 {
			return f, errors.New("handoff takes one place (a node, an AZ or a region); give one --fault per place")
		}
		if hasDur {
			return f, errors.New("handoff happens at an instant; it takes no +DURATION")
		}
	case FaultCrash:
		if f.Places, err = places(target, "crash"); err != nil {
			return f, err
		}
		if len(f.Places) != 1 {
			return f, errors.New("crash takes one place (a node, an AZ or a region); give one --fault per place")
		}
	case FaultPartition:
		sep := "|"
		if !strings.Contains(target, "|") && strings.Contains(target, ">") {
			sep, f.OneWay = ">", true
		}
		l, r, ok := strings.Cut(target, sep)
		if !ok || strings.ContainsAny(r, "|>") {
			return f, errors.New("partition wants two sides, PLACES|PLACES (or PLACES>PLACES one way)")
		}
		if f.Places, err = places(l, "partition's left side"); err != nil {
			return f, err
		}
		if f.Other, err = places(r, "partition's right side"); err != nil {
			return f, err
		}
	case FaultSlow:
		link, delay, ok := strings.Cut(target, "=")
		if !ok {
			return f, errors.New("slow wants PLACE|PLACE=DELAY (e.g. slow:us-east-1|us-east-2=50ms)")
		}
		a, b, ok := strings.Cut(link, "|")
		if !ok {
			return f, errors.New("slow wants two places, PLACE|PLACE")
		}
		if f.Places, err = places(a, "slow's first place"); err != nil {
			return f, err
		}
		if f.Other, err = places(b, "slow's second place"); err != nil {
			return f, err
		}
		if len(f.Places) != 1 || len(f.Other) != 1 {
			return f, errors.New("slow takes one place on each side")
		}
		d, j, hasJ := strings.Cut(delay, "~")
		if f.Delay, err = parseFaultDuration(d, "delay"); err != nil {
			return f, err
		}
		if hasJ {
			if f.Jitter, err = parseFaultDuration(j, "jitter"); err != nil {
				return f, err
			}
		}
		if f.Delay == 0 && f.Jitter == 0 {
			return f, errors.New("slow needs a positive delay")
		}
	default:
		return f, fmt.Errorf("unknown kind %q (known: crash, partition, slow, epsilon=, handoff, kill-connections)", kind)
	}
	return f, nil
}

func places(s, what string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("%s: empty place name", what)
		}
		if strings.ContainsAny(p, "|>=@+~:") {
			return nil, fmt.Errorf("%s: bad place name %q", what, p)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseFaultDuration(s, what string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: want a non-negative duration such as 10s or 250ms, got %q", what, s)
	}
	return d, nil
}

// CheckFaults validates faults against a cluster's places and the run's
// length: every place must be a region, an AZ or a node of c; a fault must
// start before the run ends; the two sides of a partition must not overlap;
// and two crashes of overlapping places, or two ε faults, must not overlap in
// time (a place cannot crash while it is down). The first problem is
// returned, naming the fault.
func CheckFaults(faults []Fault, c *Cluster, runEnd time.Duration) error {
	for i, f := range faults {
		if err := c.checkFault(f, runEnd); err != nil {
			return fmt.Errorf("--fault %s: %w", f, err)
		}
		for _, g := range faults[:i] {
			if f.Kind != g.Kind || !overlapInTime(f, g) {
				continue
			}
			switch {
			case f.Kind == FaultEpsilon:
				return fmt.Errorf("--fault %s: overlaps --fault %s (one ε fault at a time)", f, g)
			case f.Kind == FaultCrash && c.placesOverlap(f.Places[0], g.Places[0]):
				return fmt.Errorf("--fault %s: overlaps --fault %s (%s is already down then)", f, g, g.Places[0])
			}
		}
	}
	return nil
}

func (c *Cluster) checkFault(f Fault, runEnd time.Duration) error {
	if f.Start >= runEnd {
		return fmt.Errorf("starts at %v, after the run ends at %v", f.Start, runEnd)
	}
	if f.Kind == FaultKillConnections {
		return errors.New("kill-connections applies to a real database (--engine pg) only; simulated engines take crash, partition, slow and epsilon")
	}
	if f.Kind == FaultHandoff && len(c.handoffs) == 0 {
		return errors.New("this engine models no leadership handoff (2pc does)")
	}
	for _, p := range append(slices.Clone(f.Places), f.Other...) {
		if !c.knownPlace(p) {
			return fmt.Errorf("unknown place %q (want a region, an AZ or a node of topology %s)", p, c.topo.Name)
		}
	}
	for _, a := range f.Places {
		for _, b := range f.Other {
			if c.placesOverlap(a, b) {
				return fmt.Errorf("%s and %s overlap; the two sides must be apart", a, b)
			}
		}
	}
	return nil
}

func overlapInTime(f, g Fault) bool {
	fEnd, gEnd := f.End(), g.End()
	return (f.Permanent() || g.Start < fEnd) && (g.Permanent() || f.Start < gEnd)
}

func (c *Cluster) knownPlace(p string) bool {
	if c.topo.Region(p) != nil || c.topo.RegionOf(p) != "" {
		return true
	}
	return c.byName[p] != nil
}

// placesOverlap reports whether two places share a node: the same place, an
// AZ in a region, or a node in either.
func (c *Cluster) placesOverlap(a, b string) bool {
	if a == b {
		return true
	}
	inside := func(x, y string) bool { // x lies within y
		if c.topo.RegionOf(x) == y {
			return true
		}
		if n := c.byName[x]; n != nil {
			return n.AZ == y || n.Region == y
		}
		return false
	}
	return inside(a, b) || inside(b, a)
}

// In reports whether the node lies in a place: its own name, its AZ or its
// region.
func (n *Node) In(place string) bool {
	return n.Name == place || n.AZ == place || n.Region == place
}

func (n *Node) inAny(places []string) bool {
	for _, p := range places {
		if n.In(p) {
			return true
		}
	}
	return false
}

// faultSchedule is the cluster's view of its faults. It exists only when
// faults are configured: a cluster without faults sends on the plain path.
type faultSchedule struct {
	faults []Fault
	jitter *rand.Rand
	never  *Future[struct{}]
}

// SetFaults installs a fault schedule (validate it with CheckFaults first).
// Crashes and partitions hold messages, slow links add delay and ε faults
// raise every clock's bound, all in virtual time; the schedule is a pure
// function of virtual time, so runs stay deterministic.
func (c *Cluster) SetFaults(faults []Fault) {
	if len(faults) == 0 {
		c.faults = nil
		return
	}
	fs := &faultSchedule{faults: slices.Clone(faults), jitter: c.k.Stream("fault/slow"), never: NewFuture[struct{}](c.k)}
	c.faults = fs
	for _, n := range c.nodes {
		n.Clock.raised = fs.epsilonAt
	}
	for _, w := range c.watches {
		c.schedule(w)
	}
	for _, w := range c.cutWatches {
		c.scheduleCut(w)
	}
	for _, f := range fs.faults {
		if f.Kind == FaultHandoff {
			c.k.At(f.Start, func() {
				for _, h := range c.handoffs {
					h(f.Places[0])
				}
			})
		}
	}
}

// OnHandoff registers fn to run when a handoff fault drains a place: the
// engine moves every leadership role its nodes in place hold to replicas
// outside it. fn runs in the kernel's event loop and must not block.
func (c *Cluster) OnHandoff(fn func(place string)) {
	c.handoffs = append(c.handoffs, fn)
}

// epsilonAt is the raised ε bound at t (0 outside ε faults).
func (s *faultSchedule) epsilonAt(t Time) time.Duration {
	var e time.Duration
	for _, f := range s.faults {
		if f.Kind == FaultEpsilon && f.Active(t) {
			e = max(e, f.Epsilon)
		}
	}
	return e
}

// Faults returns the installed schedule.
func (c *Cluster) Faults() []Fault {
	if c.faults == nil {
		return nil
	}
	return c.faults.faults
}

// Down reports whether a node is crashed at the current time.
func (c *Cluster) Down(n *Node) bool {
	if c.faults == nil {
		return false
	}
	_, down := c.faults.downUntil(n, c.k.now)
	return down
}

// PlaceDown reports whether a place (an AZ, a region) is covered by a crash
// in force now.
func (c *Cluster) PlaceDown(place string) bool {
	if c.faults == nil {
		return false
	}
	region := c.topo.RegionOf(place)
	for _, f := range c.faults.faults {
		if f.Kind == FaultCrash && f.Active(c.k.now) && (f.Places[0] == place || f.Places[0] == region) {
			return true
		}
	}
	return false
}

// downUntil returns whether n is crashed at t and, if so, when it restarts
// (forever = -1).
func (s *faultSchedule) downUntil(n *Node, t Time) (Time, bool) {
	return s.blockedUntil(t, func(f Fault) bool {
		return f.Kind == FaultCrash && n.In(f.Places[0])
	})
}

// cutUntil returns whether a message from a to b is lost at t (either end
// down, or a partition between them) and when that stops (-1: never).
func (s *faultSchedule) cutUntil(a, b *Node, t Time) (Time, bool) {
	return s.blockedUntil(t, func(f Fault) bool {
		switch f.Kind {
		case FaultCrash:
			return a.In(f.Places[0]) || b.In(f.Places[0])
		case FaultPartition:
			if a.inAny(f.Places) && b.inAny(f.Other) {
				return true
			}
			return !f.OneWay && b.inAny(f.Places) && a.inAny(f.Other)
		}
		return false
	})
}

// blockedUntil: among the faults that match and are active at t, the latest
// end; faults that begin exactly then extend it (checked again by the
// caller's loop, which re-asks at the returned time).
func (s *faultSchedule) blockedUntil(t Time, match func(Fault) bool) (Time, bool) {
	until, blocked := Time(0), false
	for _, f := range s.faults {
		if !f.Active(t) || !match(f) {
			continue
		}
		if f.Permanent() {
			return -1, true
		}
		blocked = true
		until = max(until, f.End())
	}
	return until, blocked
}

// extraDelay is the added one-way delay of slow links between a and b at t.
func (s *faultSchedule) extraDelay(a, b *Node, t Time) time.Duration {
	var d time.Duration
	for _, f := range s.faults {
		if f.Kind != FaultSlow || !f.Active(t) {
			continue
		}
		if (a.In(f.Places[0]) && b.In(f.Other[0])) || (b.In(f.Places[0]) && a.In(f.Other[0])) {
			d += f.Delay
			if f.Jitter > 0 {
				d += time.Duration(s.jitter.Int64N(int64(f.Jitter) + 1))
			}
		}
	}
	return d
}

// sendFaulty is Send under a fault schedule. A message to or from a crashed
// node, or across a partition, is lost; the sender's transport retransmits
// it, so it arrives once the fault is over (TCP-like), and never under a
// permanent fault. A message that reaches a node which crashed meanwhile is
// held the same way: a crashed node neither processes nor answers. The hold
// is charged to network time.
func (c *Cluster) sendFaulty(p *Proc, a, b *Node) {
	s := c.faults
	for {
		until, cut := s.cutUntil(a, b, c.k.now)
		if !cut {
			break
		}
		s.hold(p, until)
	}
	if a != b {
		p.Sleep(c.Delay(a, b)+s.extraDelay(a, b, c.k.now), CatNetwork)
	}
	for {
		until, down := s.downUntil(b, c.k.now)
		if !down {
			return
		}
		s.hold(p, until)
	}
}

func (s *faultSchedule) hold(p *Proc, until Time) {
	if until < 0 {
		Await(p, s.never, CatNetwork)
		return
	}
	p.SleepUntil(until, CatNetwork)
}

// downWatch is a callback for when a node has been down for a while.
type downWatch struct {
	n     *Node
	after time.Duration
	fn    func()
}

// OnDown calls fn each time n has been crashed for after without a break:
// how an engine models a lease running out or a failure detector firing.
// Watches may be set before the fault schedule is installed; fn runs in the
// kernel's event loop and must not block (spawn a process for work).
func (c *Cluster) OnDown(n *Node, after time.Duration, fn func()) {
	w := downWatch{n: n, after: after, fn: fn}
	c.watches = append(c.watches, w)
	if c.faults != nil {
		c.schedule(w)
	}
}

// schedule plans a watch's calls from the fault schedule: the node's crash
// windows are merged, and every merged window at least after long (or
// permanent) fires once, after into it.
func (c *Cluster) schedule(w downWatch) {
	type span struct{ from, to Time } // to < 0: permanent
	var spans []span
	for _, f := range c.faults.faults {
		if f.Kind != FaultCrash || !w.n.In(f.Places[0]) {
			continue
		}
		to := Time(-1)
		if !f.Permanent() {
			to = f.End()
		}
		spans = append(spans, span{f.Start, to})
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.from - b.from) })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && (merged[n-1].to < 0 || s.from <= merged[n-1].to) {
			if merged[n-1].to >= 0 && (s.to < 0 || s.to > merged[n-1].to) {
				merged[n-1].to = s.to
			}
			continue
		}
		merged = append(merged, s)
	}
	for _, s := range merged {
		if s.to < 0 || s.to-s.from >= w.after {
			c.k.At(s.from+w.after, w.fn)
		}
	}
}

// NearestLiveAZ is where a role of a crashed node fails over to: the AZ of
// a full region, not covered by a crash now, nearest the node (its own
// region first); "" when there is none.
func (c *Cluster) NearestLiveAZ(old *Node) string {
	best := ""
	for _, r := range c.topo.FullRegions() {
		for _, az := range r.AZs {
			if az == old.AZ || c.PlaceDown(az) {
				continue
			}
			if best == "" || c.closerAZ(old, az, best) {
				best = az
			}
		}
	}
	return best
}

// NearestAZReaching is NearestLiveAZ for a role that needs a majority of
// group (a quorum it writes to): among the AZs of full regions other than
// old's, not crashed, from which a majority of group can be reached now
// (partitions included), the nearest old; "" when there is none. Without
// partitions it is NearestLiveAZ with the quorum required.
func (c *Cluster) NearestAZReaching(old *Node, group []*Node) string {
	best := ""
	for _, r := range c.topo.FullRegions() {
		for _, az := range r.AZs {
			if az == old.AZ || c.PlaceDown(az) {
				continue
			}
			probe := &Node{AZ: az, Region: r.Name}
			if c.faults != nil && c.faults.cutOffAt(probe, group, c.k.now) {
				continue
			}
			if best == "" || c.closerAZ(old, az, best) {
				best = az
			}
		}
	}
	return best
}

func (c *Cluster) closerAZ(old *Node, a, b string) bool {
	ra, rb := c.topo.RegionOf(a) == old.Region, c.topo.RegionOf(b) == old.Region
	if ra != rb {
		return ra
	}
	return c.topo.RTT(old.AZ, a).Median < c.topo.RTT(old.AZ, b).Median
}

// cutWatch is a callback for when a node has been cut off from a majority
// of its group for a while.
type cutWatch struct {
	n     *Node
	group []*Node
	after time.Duration
	fn    func()
}

// OnCutOff calls fn each time n has been unable to exchange messages with a
// majority of group (n included, counting itself while it is up) for after
// without a break: n crashed, or partitions and crashes leave it fewer than
// a majority to talk to. This is when a leader's lease, renewed by a
// majority, runs out — on a crash and on a partition alike. Like OnDown,
// watches may be set before the schedule is installed and fn runs in the
// kernel's event loop.
func (c *Cluster) OnCutOff(n *Node, group []*Node, after time.Duration, fn func()) {
	w := cutWatch{n: n, group: group, after: after, fn: fn}
	c.cutWatches = append(c.cutWatches, w)
	if c.faults != nil {
		c.scheduleCut(w)
	}
}

// CutOff reports whether n cannot exchange messages with a majority of
// group now (see OnCutOff).
func (c *Cluster) CutOff(n *Node, group []*Node) bool {
	if c.faults == nil {
		return false
	}
	return c.faults.cutOffAt(n, group, c.k.now)
}

func (s *faultSchedule) cutOffAt(n *Node, group []*Node, t Time) bool {
	if _, down := s.downUntil(n, t); down {
		return true
	}
	reach := 0
	for _, m := range group {
		if m == n {
			reach++
			continue
		}
		_, ab := s.cutUntil(n, m, t)
		_, ba := s.cutUntil(m, n, t)
		if !ab && !ba {
			reach++
		}
	}
	return 2*reach <= len(group)
}

// scheduleCut plans a cut-off watch's calls: the fault schedule changes
// only at faults' starts and ends, so between two such instants n is cut
// off throughout or not at all; every maximal stretch (from now on) at
// least after long, or without end, fires once, after into it.
func (c *Cluster) scheduleCut(w cutWatch) {
	now := c.k.now
	times := []Time{now}
	for _, f := range c.faults.faults {
		if f.Kind != FaultCrash && f.Kind != FaultPartition {
			continue
		}
		times = append(times, f.Start)
		if !f.Permanent() {
			times = append(times, f.End())
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	from := Time(-1) // start of the current cut-off stretch, -1: none
	for i, t := range times {
		if t < now {
			continue
		}
		cut := c.faults.cutOffAt(w.n, w.group, t)
		switch {
		case cut && from < 0:
			from = t
		case !cut && from >= 0:
			if t-from >= w.after {
				c.k.At(from+w.after, w.fn)
			}
			from = -1
		}
		if i == len(times)-1 && from >= 0 {
			c.k.At(from+w.after, w.fn) // cut off to the end
		}
	}
}
