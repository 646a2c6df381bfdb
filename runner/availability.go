package runner

import (
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// Availability is what a run with faults adds to its results: a fine-grained
// timeline per client group (the client's region) and, per fault, the
// figures an operator asks for after an AZ or a region goes away.
type Availability struct {
	IntervalS float64 `json:"interval_s"`
	// Groups are the client groups in topology order; Timeline has one
	// series per group and one named "all".
	Groups   []string                `json:"groups"`
	Timeline map[string][]AvailPoint `json:"timeline"`
	Faults   []FaultFigures          `json:"faults"`
}

// AvailPoint is one interval of one client group, by the time records ended.
type AvailPoint struct {
	TS        float64 `json:"t_s"`
	Committed int64   `json:"committed"`
	// Aborted counts failed attempts, by reason in Reasons; GaveUp counts
	// transactions that failed for good.
	Aborted int64            `json:"aborted"`
	GaveUp  int64            `json:"gave_up"`
	Reasons map[string]int64 `json:"reasons,omitempty"`
	P99Ms   float64          `json:"p99_ms"`
}

// FaultFigures measure one fault. Times are seconds from the fault's start;
// a missing value means "did not happen during the run".
type FaultFigures struct {
	Fault  string   `json:"fault"`
	StartS float64  `json:"start_s"`
	EndS   *float64 `json:"end_s,omitempty"` // absent: permanent
	// FirstFailureS: the first attempt that failed for a reason other than
	// concurrency control (a timeout, a lost connection, a deadline).
	FirstFailureS *float64 `json:"first_failure_s,omitempty"`
	// LongestGapS: per client group, the longest time without a commit
	// among the gaps that overlap the fault.
	LongestGapS map[string]float64 `json:"longest_gap_s"`
	// PreFaultTPS is the throughput (all groups) over the 5 s before the
	// fault; RecoveryS is the first time from which every 1 s window has at
	// least 90% of it (absent: still below at the end of the run or when the
	// next fault starts; 0: never below).
	PreFaultTPS float64  `json:"pre_fault_tps"`
	RecoveryS   *float64 `json:"recovery_90pct_s,omitempty"`
	// When some client groups commit nothing in the run's last second (a
	// permanent loss took their clients with it), the same two figures over
	// the groups that still commit then: Survivors names them. Absent when
	// every group or none still commits at the end.
	Survivors            []string `json:"survivors,omitempty"`
	SurvivorsPreFaultTPS float64  `json:"survivors_pre_fault_tps,omitempty"`
	SurvivorsRecoveryS   *float64 `json:"survivors_recovery_90pct_s,omitempty"`
	// During the fault (to the end of the run when permanent): transactions
	// that gave up, attempts that failed and were retried.
	FailedTxns      int64 `json:"failed_txns"`
	RetriedAttempts int64 `json:"retried_attempts"`
}

// ccReasons are the aborts concurrency control causes in any run; they are
// not availability failures.
var ccReasons = map[string]bool{
	string(engines.ReasonConflict): true, string(engines.ReasonSchemaConflict): true,
	string(engines.ReasonSerialization): true, string(engines.ReasonDeadlock): true,
	string(engines.ReasonLimit): true, string(engines.ReasonWounded): true,
	string(engines.ReasonUser): true,
}

// availRecorder builds the Availability figures. Like Recorder it is not
// safe for concurrent use; Recorder forwards to it.
type availRecorder struct {
	interval time.Duration
	faults   []sim.Fault
	groups   []string
	byGroup  map[string]*availGroup
	all      *availGroup
	// per fault
	firstFail        []time.Duration // -1: none yet
	failedTxns, reAt []int64
}

type availGroup struct {
	buckets []availBucket
	cur     int
	hist    *hdrhistogram.Histogram
	last    time.Duration // the last commit
	maxGap  []time.Duration
}

type availBucket struct {
	committed, aborted, gaveUp int64
	reasons                    map[string]int64
	p99                        int64
}

func newAvailRecorder(interval time.Duration, faults []sim.Fault, groups []string) *availRecorder {
	a := &availRecorder{interval: interval, faults: faults, groups: groups, byGroup: map[string]*availGroup{},
		firstFail: make([]time.Duration, len(faults)), failedTxns: make([]int64, len(faults)), reAt: make([]int64, len(faults))}
	for i := range a.firstFail {
		a.firstFail[i] = -1
	}
	a.all = a.newGroup()
	for _, g := range groups {
		a.byGroup[g] = a.newGroup()
	}
	return a
}

func (a *availRecorder) newGroup() *availGroup {
	return &availGroup{hist: newHistogram(), maxGap: make([]time.Duration, len(a.faults))}
}

func (a *availRecorder) group(name string) *availGroup {
	g, ok := a.byGroup[name]
	if !ok {
		g = a.newGroup()
		a.byGroup[name] = g
		a.groups = append(a.groups, name)
	}
	return g
}

func (g *availGroup) bucket(i int) *availBucket {
	if i >= len(g.buckets) {
		g.buckets = append(g.buckets, make([]availBucket, i+1-len(g.buckets))...)
	}
	return &g.buckets[i]
}

func (a *availRecorder) index(t time.Duration) int {
	if t <= 0 {
		return 0
	}
	return int(t / a.interval)
}

// in reports whether t falls within fault f's window (to the end of the run
// when permanent).
func in(f sim.Fault, t time.Duration) bool {
	return t >= f.Start && (f.Permanent() || t < f.End())
}

func (a *availRecorder) attempt(group string, r AttemptRecord) {
	if r.Committed {
		return
	}
	reason := r.Reason
	if reason == "" {
		reason = "unknown"
	}
	i := a.index(r.End)
	for _, g := range []*availGroup{a.all, a.group(group)} {
		b := g.bucket(i)
		b.aborted++
		if b.reasons == nil {
			b.reasons = map[string]int64{}
		}
		b.reasons[reason]++
	}
	for j, f := range a.faults {
		if !in(f, r.End) {
			continue
		}
		if r.Retried {
			a.reAt[j]++
		}
		if a.firstFail[j] < 0 && !ccReasons[reason] {
			a.firstFail[j] = r.End - f.Start
		}
	}
}

func (a *availRecorder) txn(group string, r TxnRecord) {
	i := a.index(r.End)
	for _, g := range []*availGroup{a.all, a.group(group)} {
		b := g.bucket(i)
		if !r.Committed {
			b.gaveUp++
			continue
		}
		b.committed++
		if i > g.cur {
			g.close()
			g.cur = i
		}
		if i == g.cur {
			recordMicros(g.hist, toMicros(r.Latency))
		}
		for j, f := range a.faults {
			if r.End > f.Start && (f.Permanent() || g.last < f.End()) {
				g.maxGap[j] = max(g.maxGap[j], r.End-g.last)
			}
		}
		g.last = r.End
	}
	if !r.Committed {
		for j, f := range a.faults {
			if in(f, r.End) {
				a.failedTxns[j]++
			}
		}
	}
}

func (g *availGroup) close() {
	if g.cur < len(g.buckets) && g.hist.TotalCount() > 0 {
		g.buckets[g.cur].p99 = g.hist.ValueAtQuantile(99)
	}
	g.hist.Reset()
}

// result computes the figures of a run that ended at end (run time).
func (a *availRecorder) result(end time.Duration) *Availability {
	n := int((end + a.interval - 1) / a.interval)
	out := &Availability{IntervalS: round3(a.interval.Seconds()), Groups: slices.Clone(a.groups), Timeline: map[string][]AvailPoint{}}
	series := func(g *availGroup) []AvailPoint {
		pts := make([]AvailPoint, n)
		for i := range pts {
			pts[i].TS = round3((time.Duration(i) * a.interval).Seconds())
			if i >= len(g.buckets) {
				continue
			}
			b := g.buckets[i]
			p99 := b.p99
			if i == g.cur && g.hist.TotalCount() > 0 {
				p99 = g.hist.ValueAtQuantile(99)
			}
			pts[i].Committed, pts[i].Aborted, pts[i].GaveUp, pts[i].P99Ms = b.committed, b.aborted, b.gaveUp, microsToMs(p99)
			if len(b.reasons) > 0 {
				pts[i].Reasons = b.reasons
			}
		}
		return pts
	}
	out.Timeline["all"] = series(a.all)
	for _, g := range a.groups {
		out.Timeline[g] = series(a.byGroup[g])
	}
	for j, f := range a.faults {
		ff := FaultFigures{Fault: f.String(), StartS: round3(f.Start.Seconds()), LongestGapS: map[string]float64{},
			FailedTxns: a.failedTxns[j], RetriedAttempts: a.reAt[j]}
		if !f.Permanent() {
			e := round3(f.End().Seconds())
			ff.EndS = &e
		}
		if a.firstFail[j] >= 0 {
			v := round3(a.firstFail[j].Seconds())
			ff.FirstFailureS = &v
		}
		for _, name := range a.groups {
			g := a.byGroup[name]
			gap := g.maxGap[j]
			if end > f.Start && (f.Permanent() || g.last < f.End()) {
				gap = max(gap, end-max(g.last, 0))
			}
			ff.LongestGapS[name] = round3(gap.Seconds())
		}
		ff.PreFaultTPS, ff.RecoveryS = a.recovery(f, end, []*availGroup{a.all})
		if names, gs := a.survivors(end); len(gs) > 0 {
			ff.Survivors = names
			ff.SurvivorsPreFaultTPS, ff.SurvivorsRecoveryS = a.recovery(f, end, gs)
		}
		out.Faults = append(out.Faults, ff)
	}
	return out
}

// recovery: the pre-fault throughput over (up to) the 5 s before the fault,
// and the time from the fault's start until the first instant from which
// every 1 s window (sliding by one interval) has at least 90% of it.
// It counts the commits of the given groups.
func (a *availRecorder) recovery(f sim.Fault, end time.Duration, gs []*availGroup) (float64, *float64) {
	full := int(end / a.interval) // whole buckets only
	count := func(from, to int) int64 {
		var c int64
		for _, g := range gs {
			for i := from; i < to && i < len(g.buckets); i++ {
				c += g.buckets[i].committed
			}
		}
		return c
	}
	s := a.index(f.Start)
	from := max(0, s-int(5*time.Second/a.interval))
	if s == from {
		return 0, nil
	}
	pre := float64(count(from, s)) / (float64(s-from) * a.interval.Seconds())
	// Another fault starting later bounds the search: its dip is its own.
	for _, g := range a.faults {
		if g.Start > f.Start {
			full = min(full, int(g.Start/a.interval))
		}
	}
	w := max(1, int(time.Second/a.interval))
	need := 0.9 * pre * float64(w) * a.interval.Seconds()
	lastBelow := -1
	for i := s; i+w <= full; i++ {
		if float64(count(i, i+w)) < need {
			lastBelow = i
		}
	}
	zero := 0.0
	switch {
	case lastBelow < 0:
		return roundSig(pre), &zero
	case lastBelow+w == full:
		return roundSig(pre), nil // still below at the end
	}
	// Every window from the next one on is at 90% or more: recovered then.
	r := round3(max(time.Duration(lastBelow+1)*a.interval-f.Start, 0).Seconds())
	return roundSig(pre), &r
}

// survivors returns the client groups that commit in the run's last whole
// second, when some do and others do not; nothing otherwise.
func (a *availRecorder) survivors(end time.Duration) ([]string, []*availGroup) {
	full := int(end / a.interval)
	from := max(0, full-max(1, int(time.Second/a.interval)))
	var names []string
	var gs []*availGroup
	for _, name := range a.groups {
		g := a.byGroup[name]
		for i := from; i < full && i < len(g.buckets); i++ {
			if g.buckets[i].committed > 0 {
				names, gs = append(names, name), append(gs, g)
				break
			}
		}
	}
	if len(gs) == 0 || len(gs) == len(a.groups) {
		return nil, nil
	}
	return names, gs
}
