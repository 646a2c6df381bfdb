package runner

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/txbench/txbench/sim"
)

// Histogram geometry shared by every histogram in a txbench.result/v1 file.
// Microseconds resolve the sub-millisecond commits of simulated engines while
// one hour still covers a stalled real database; three significant figures
// keep each histogram at ~190 KB in memory and a few hundred bytes encoded.
// Keeping one geometry everywhere means histograms from different runs can be
// merged without loss.
const (
	histLowestMicros  = 1
	histHighestMicros = int64(time.Hour / time.Microsecond)
	histSigFigs       = 3
)

// Breakdown categories in the order they are reported. Engines may report
// other names; those are kept and reported after these, alphabetically.
var breakdownOrder = []string{
	"network", "cpu", "queue", "lock_wait", "commit_wait",
	"replication", "read_wait", "backoff", "other",
}

// topContendedLimit is how many contended keys a result reports. All counts
// are kept while recording so the ranking is exact, not a streaming estimate.
const topContendedLimit = 10

// AttemptRecord describes one attempt of a transaction, committed or aborted.
type AttemptRecord struct {
	Type      string        // workload transaction type
	End       time.Duration // runtime clock (since run start) when the attempt ended
	Latency   time.Duration // this attempt's duration
	Committed bool
	Reason    string // abort reason when !Committed (e.g. "conflict(OC000)"); "" is counted as "unknown"
	// Table and Key name the contended row, if the engine named one.
	Table, Key string
	// Participants is the number of partitions involved in the commit
	// (0 if unknown; unknown values are not counted).
	Participants int
	// Statements are the attempt's timed statements (aborted ones left
	// out); the slice may be reused after Attempt returns.
	Statements []StatementTiming
	// Group is the client's group (its region) for the availability
	// timeline; Retried marks a failed attempt that was followed by another.
	Group   string
	Retried bool
}

// TxnRecord describes one transaction once it is over: committed, or given up
// after its last attempt.
type TxnRecord struct {
	Type string
	End  time.Duration // runtime clock when the transaction finished
	// Latency is measured from the INTENDED start (the scheduled arrival in
	// open loop, so queueing in the client counts: no coordinated omission),
	// including every attempt and backoff.
	Latency   time.Duration
	Committed bool // false = gave up (failed)
	// Attempts is how many attempts the transaction made; 0 is read as 1.
	Attempts int
	// Breakdown optionally splits the latency by category (network, cpu,
	// queue, lock_wait, commit_wait, replication, read_wait, backoff, other;
	// think time and categories not above zero are left out). nil for
	// engines that don't know; only committed transactions count. An array
	// by category, not a map by name: filling a map and adding it up cost
	// a dozen map operations a transaction (profiled: 3–4% of a run).
	Breakdown *sim.Ledger
	// Participants is the number of partitions the committed attempt's
	// commit involved (0 when unknown or not committed): latency is split
	// into single- and multi-partition commits by it.
	Participants int
	// Group is the client's group (its region), for the availability timeline.
	Group string
}

// Recorder accumulates the figures of one run as transactions finish and turns
// them into the results file content (see Fill and Result).
//
// A Recorder is NOT safe for concurrent use: the real-time runner serializes
// its calls and the simulator is single-threaded, so a lock here would only
// cost time on the hot path.
//
// Records whose End is before the warmup are left out of every figure except
// the timeline, which covers the whole run and marks warmup points, so plots
// can show how the system got to its steady state.
type Recorder struct {
	warmup   time.Duration
	interval time.Duration

	types  []string          // report order: declared, then first sight
	byType map[string]*stats // keyed by type name
	// recent holds byType's first types, searched before it (named).
	recent named[*stats]

	contended map[contendedKey]int64

	timeline []timelineBucket
	// cur is the timeline bucket whose latencies curHist holds. One histogram
	// per bucket would cost ~190 KB each (hundreds of MB for an hour at 1 s),
	// so the histogram is reset each time a transaction ends in a later
	// bucket and the finished bucket keeps only its p50/p99.
	cur     int
	curHist *hdrhistogram.Histogram

	// avail is nil unless the run records availability (runs with faults).
	avail *availRecorder
}

type contendedKey struct{ table, key string }

type timelineBucket struct {
	committed, failed, attempts, aborted int64
	// p50 and p99 are the finished bucket's percentiles in µs, set when the
	// timeline moves past it.
	p50, p99 int64
}

// stats holds the figures of one transaction type, or of all of them.
type stats struct {
	committed, failed int64
	attempts, aborted int64
	txnAttempts       int64 // sum of TxnRecord.Attempts, for retries per txn
	latSum            int64 // µs, committed txns, for an exact mean
	attSum            int64 // µs, all attempts
	latency, attempt  *hdrhistogram.Histogram
	reasons           map[string]int64
	// participants[n]: committed attempts with n participants (a slice:
	// a map's insert a commit was ~0.7% of a 2pc YCSB-A run).
	participants []int64
	// shapes: latency of committed transactions by commit shape
	// ("single-partition", "multi-partition"), when engines report it.
	shapes map[string]*shapeStats
	// statements: latency by statement kind (StmtRead, ...), every attempt.
	statements         map[string]*shapeStats
	stmtSum, stmtTxns  int64 // statements (commit excluded) of committed attempts, and those attempts
	breakdown          sim.Ledger
	breakdownCommitted int64 // committed txns that reported a breakdown
	// shapeNames and stmtNames hold the first entries of shapes and
	// statements, searched before them (named).
	shapeNames, stmtNames named[*shapeStats]
}

// named is a map's first few entries, searched in order before the map: a
// run's transaction types, statement kinds and commit shapes are a handful
// of constants, and comparing a name with each (its length first) is
// cheaper than hashing it. The recorder looked such names up about seven
// times an attempt, 3% of a 2pc YCSB-A run's instructions.
type named[V any] struct {
	n    int
	keys [8]string
	vals [8]V
}

func (c *named[V]) get(k string) (V, bool) {
	// Names are mostly the same constants (statement kinds, shapes, a
	// workload's type names): the same bytes, told apart without
	// comparing them.
	for i := range c.n {
		if len(c.keys[i]) == len(k) && unsafe.StringData(c.keys[i]) == unsafe.StringData(k) {
			return c.vals[i], true
		}
	}
	for i := range c.n {
		if c.keys[i] == k {
			return c.vals[i], true
		}
	}
	var zero V
	return zero, false
}

// add remembers k's value, if there is room.
func (c *named[V]) add(k string, v V) {
	if c.n < len(c.keys) {
		c.keys[c.n], c.vals[c.n] = k, v
		c.n++
	}
}

func newStats() *stats {
	return &stats{
		latency: newHistogram(),
		attempt: newHistogram(),
		reasons: map[string]int64{},
	}
}

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowestMicros, histHighestMicros, histSigFigs)
}

// NewRecorder returns a Recorder for a run whose transaction types are types
// (reported in that order; others are added as first seen), whose first
// warmup of runtime is left out of the figures, and whose timeline has one
// point per interval (1 s if interval <= 0).
func NewRecorder(types []string, warmup, interval time.Duration) *Recorder {
	if interval <= 0 {
		interval = time.Second
	}
	if warmup < 0 {
		warmup = 0
	}
	r := &Recorder{
		warmup:    warmup,
		interval:  interval,
		byType:    map[string]*stats{},
		contended: map[contendedKey]int64{},
		curHist:   newHistogram(),
	}
	for _, t := range types {
		r.typeStats(t)
	}
	return r
}

// typeStats returns the stats of type name, adding the type if it is new.
func (r *Recorder) typeStats(name string) *stats {
	if s, ok := r.recent.get(name); ok {
		return s
	}
	s, ok := r.byType[name]
	if !ok {
		s = newStats()
		r.byType[name] = s
		r.types = append(r.types, name)
	}
	r.recent.add(name, s)
	return s
}

// bucket returns the timeline bucket for a runtime instant, growing the
// timeline as needed. Negative instants (a clock read before the start) count
// in the first bucket.
func (r *Recorder) bucket(end time.Duration) (int, *timelineBucket) {
	i := 0
	if end > 0 {
		i = int(end / r.interval)
	}
	if i >= len(r.timeline) {
		r.timeline = append(r.timeline, make([]timelineBucket, i+1-len(r.timeline))...)
	}
	return i, &r.timeline[i]
}

// EnableAvailability makes the Recorder keep an availability timeline at
// interval per client group (groups listed in report order) and the figures
// of each fault.
func (r *Recorder) EnableAvailability(interval time.Duration, faults []sim.Fault, groups []string) {
	r.avail = newAvailRecorder(interval, faults, groups)
}

// Attempt records one finished attempt.
func (r *Recorder) Attempt(a AttemptRecord) {
	if r.avail != nil {
		r.avail.attempt(a.Group, a)
	}
	s := r.typeStats(a.Type)
	_, b := r.bucket(a.End)
	b.attempts++
	if !a.Committed {
		b.aborted++
	}
	if a.End < r.warmup {
		return
	}
	us := toMicros(a.Latency)
	reason := a.Reason
	if reason == "" {
		reason = "unknown"
	}
	// The type's figures only: all types' are summed from them at the end
	// (allStats).
	s.attempts++
	s.attSum += us
	recordMicros(s.attempt, us)
	for _, stmt := range a.Statements {
		s.statement(stmt.Kind).add(toMicros(stmt.Latency))
	}
	if a.Committed {
		s.stmtTxns++
		for _, stmt := range a.Statements {
			if stmt.Kind != StmtCommit {
				s.stmtSum++
			}
		}
		if n := a.Participants; n > 0 {
			if n >= len(s.participants) {
				s.participants = append(s.participants, make([]int64, n+1-len(s.participants))...)
			}
			s.participants[n]++
		}
	} else {
		s.aborted++
		s.reasons[reason]++
	}
	if !a.Committed && a.Key != "" {
		r.contended[contendedKey{a.Table, a.Key}]++
	}
}

// Txn records one finished transaction (committed or given up).
func (r *Recorder) Txn(t TxnRecord) {
	if r.avail != nil {
		r.avail.txn(t.Group, t)
	}
	s := r.typeStats(t.Type)
	i, b := r.bucket(t.End)
	if t.Committed {
		b.committed++
	} else {
		b.failed++
	}
	us := toMicros(t.Latency)
	// Only a transaction moves the timeline on: attempts end before their
	// transaction does, so letting them advance it would close a bucket whose
	// transactions are still being recorded.
	if i > r.cur {
		r.closeBucket()
		r.cur = i
	}
	if i == r.cur && t.Committed {
		recordMicros(r.curHist, us)
	}
	// i < r.cur: a transaction recorded after a later one (the real-time
	// runner's clock reads race with its serialization). It is counted, but
	// its bucket's percentiles are already final.

	if t.End < r.warmup {
		return
	}
	s.txnAttempts += int64(max(t.Attempts, 1))
	if !t.Committed {
		s.failed++
		return
	}
	s.committed++
	s.latSum += us
	recordMicros(s.latency, us)
	if t.Participants > 0 {
		s.shape(shapeOf(t.Participants)).add(us)
	}
	if t.Breakdown != nil {
		s.breakdownCommitted++
		for c, v := range t.Breakdown {
			if v > 0 && sim.Category(c) != sim.CatThink {
				s.breakdown[c] += v
			}
		}
	}
}

// closeBucket stores the percentiles of the current bucket and resets its
// histogram for the next one.
func (r *Recorder) closeBucket() {
	if r.cur < len(r.timeline) && r.curHist.TotalCount() > 0 {
		b := &r.timeline[r.cur]
		b.p50 = r.curHist.ValueAtQuantile(50)
		b.p99 = r.curHist.ValueAtQuantile(99)
	}
	r.curHist.Reset()
}

// toMicros converts d to whole microseconds (rounded to nearest), clamped to
// the histogram range so that no latency is ever dropped: an out-of-range
// value counts at the range's edge.
func toMicros(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	us := (int64(d) + int64(time.Microsecond)/2) / int64(time.Microsecond)
	return min(us, histHighestMicros)
}

// recordMicros records a value already clamped by toMicros; it cannot fail.
func recordMicros(h *hdrhistogram.Histogram, us int64) {
	if err := h.RecordValue(us); err != nil {
		panic(fmt.Sprintf("runner: recording %d µs: %v", us, err)) // unreachable: toMicros clamps
	}
}

// Result builds the results-file figures from what was recorded. measured is
// the measured duration (the run after warmup, virtual time for simulated
// engines) used for throughput. Result does not change the Recorder, so it
// may be called again later (e.g. for a partial result on interrupt).
//
// Histogram names are "all/latency", "all/attempt", "<type>/latency" and
// "<type>/attempt"; latency histograms hold committed transactions only,
// attempt histograms every attempt.
func (r *Recorder) Result(measured time.Duration) (summary Summary, types []TxnSummary, timeline []TimelinePoint, hists map[string]string, top []ContendedKey) {
	secs := measured.Seconds()
	all := r.allStats()
	summary = all.summary(secs)
	types = make([]TxnSummary, 0, len(r.types))
	hists = map[string]string{
		"all/latency": encodeHistogram(all.latency),
		"all/attempt": encodeHistogram(all.attempt),
	}
	for _, name := range r.types {
		s := r.byType[name]
		types = append(types, TxnSummary{Name: name, Summary: s.summary(secs)})
		hists[name+"/latency"] = encodeHistogram(s.latency)
		hists[name+"/attempt"] = encodeHistogram(s.attempt)
		for shape, sh := range s.shapes {
			hists[name+"/latency/"+shape] = encodeHistogram(sh.h)
		}
		for kind, sh := range s.statements {
			hists[name+"/statement/"+kind] = encodeHistogram(sh.h)
		}
	}
	for shape, sh := range all.shapes {
		hists["all/latency/"+shape] = encodeHistogram(sh.h)
	}
	for kind, sh := range all.statements {
		hists["all/statement/"+kind] = encodeHistogram(sh.h)
	}
	return summary, types, r.timelinePoints(r.warmup + measured), hists, r.topContended(topContendedLimit)
}

// allStats is the figures of all types together: every type's summed,
// its histograms merged (the same counts, so the same percentiles and
// encoding). Recording each attempt and transaction once more for all
// types cost twice the look-ups and sums (~2% of a 2pc YCSB-A run's
// instructions); sums of integers do not depend on their order. Fresh
// records: the Recorder is unchanged.
func (r *Recorder) allStats() *stats {
	all := newStats()
	for _, name := range r.types {
		all.merge(r.byType[name])
	}
	return all
}

// merge adds s's figures to st's.
func (st *stats) merge(s *stats) {
	st.committed += s.committed
	st.failed += s.failed
	st.attempts += s.attempts
	st.aborted += s.aborted
	st.txnAttempts += s.txnAttempts
	st.latSum += s.latSum
	st.attSum += s.attSum
	st.latency.Merge(s.latency)
	st.attempt.Merge(s.attempt)
	for reason, n := range s.reasons {
		st.reasons[reason] += n
	}
	if len(s.participants) > len(st.participants) {
		st.participants = append(st.participants, make([]int64, len(s.participants)-len(st.participants))...)
	}
	for n, c := range s.participants {
		st.participants[n] += c
	}
	mergeHists(&st.shapes, s.shapes)
	mergeHists(&st.statements, s.statements)
	st.stmtSum += s.stmtSum
	st.stmtTxns += s.stmtTxns
	for c, v := range s.breakdown {
		st.breakdown[c] += v
	}
	st.breakdownCommitted += s.breakdownCommitted
}

// mergeHists adds each named histogram of from, and its sum, to *into's.
func mergeHists(into *map[string]*shapeStats, from map[string]*shapeStats) {
	for name, sh := range from {
		to := histIn(into, name)
		to.sum += sh.sum
		to.h.Merge(sh.h)
	}
}

// Fill sets the recorded figures of res: Summary, TxnTypes, Timeline,
// Histograms, TopContended, DurationS and WarmupS (and Schema when empty).
// The caller sets the run's identity (engine, workload, seed, mode, config),
// Partial, Notes and Wall.
func (r *Recorder) Fill(res *Result, measured time.Duration) {
	if res.Schema == "" {
		res.Schema = ResultSchema
	}
	res.DurationS = round3(max(measured, 0).Seconds())
	res.WarmupS = round3(r.warmup.Seconds())
	res.Summary, res.TxnTypes, res.Timeline, res.Histograms, res.TopContended = r.Result(measured)
	if r.avail != nil {
		res.Availability = r.avail.result(r.warmup + max(measured, 0))
	}
}

// timelinePoints: an interval's tps divides by the part of it the run
// covered, so the last, partial interval (the run ended at end) reads right.
func (r *Recorder) timelinePoints(end time.Duration) []TimelinePoint {
	pts := make([]TimelinePoint, len(r.timeline))
	for i, b := range r.timeline {
		p50, p99 := b.p50, b.p99
		if i == r.cur && r.curHist.TotalCount() > 0 {
			// The current bucket is still open; read it without closing it.
			p50 = r.curHist.ValueAtQuantile(50)
			p99 = r.curHist.ValueAtQuantile(99)
		}
		start := time.Duration(i) * r.interval
		secs := r.interval.Seconds()
		if covered := end - start; covered > 0 && covered < r.interval {
			secs = covered.Seconds()
		}
		pts[i] = TimelinePoint{
			TS:        round3(start.Seconds()),
			Committed: b.committed,
			Failed:    b.failed,
			Attempts:  b.attempts,
			Aborted:   b.aborted,
			TPS:       roundSig(ratio(float64(b.committed), secs)),
			P50Ms:     microsToMs(p50),
			P99Ms:     microsToMs(p99),
			Warmup:    start < r.warmup,
		}
	}
	return pts
}

// topContended returns the n keys with the most aborted attempts, by count
// descending then table and key ascending, so ties rank the same every run.
func (r *Recorder) topContended(n int) []ContendedKey {
	all := make([]ContendedKey, 0, len(r.contended))
	for k, c := range r.contended {
		all = append(all, ContendedKey{Table: k.table, Key: k.key, Aborts: c})
	}
	slices.SortFunc(all, func(a, b ContendedKey) int {
		if c := cmp.Compare(b.Aborts, a.Aborts); c != 0 {
			return c
		}
		if c := strings.Compare(a.Table, b.Table); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(all) > n {
		all = all[:n]
	}
	return all
}

func (s *stats) summary(secs float64) Summary {
	txns := s.committed + s.failed
	out := Summary{
		Committed:        s.committed,
		Failed:           s.failed,
		Attempts:         s.attempts,
		AbortedAttempts:  s.aborted,
		AbortRate:        roundSig(ratio(float64(s.aborted), float64(s.attempts))),
		RetriesPerTxn:    roundSig(ratio(float64(max(s.txnAttempts-txns, 0)), float64(txns))),
		ThroughputTPS:    roundSig(ratio(float64(s.committed), secs)),
		AttemptsPerS:     roundSig(ratio(float64(s.attempts), secs)),
		LatencyMs:        latencyOf(s.latency, s.latSum),
		AttemptLatencyMs: latencyOf(s.attempt, s.attSum),
		AbortReasons:     make(map[string]int64, len(s.reasons)),
	}
	for k, v := range s.reasons {
		out.AbortReasons[k] = v
	}
	if s.breakdownCommitted > 0 {
		out.BreakdownMs = map[string]float64{}
		for c, v := range s.breakdown {
			if v > 0 { // only positive times are added: a category seen
				out.BreakdownMs[sim.Category(c).String()] = round3(float64(v) / float64(s.breakdownCommitted) / 1e6)
			}
		}
	}
	if len(s.shapes) > 0 {
		out.LatencyByShape = map[string]ShapeLatency{}
		for name, sh := range s.shapes {
			out.LatencyByShape[name] = ShapeLatency{Committed: sh.h.TotalCount(), Latency: latencyOf(sh.h, sh.sum)}
		}
	}
	if len(s.statements) > 0 {
		out.StatementLatencyMs = map[string]StatementLatency{}
		for kind, sh := range s.statements {
			out.StatementLatencyMs[kind] = StatementLatency{Count: sh.h.TotalCount(), Latency: latencyOf(sh.h, sh.sum)}
		}
	}
	if s.stmtTxns > 0 {
		out.StatementsPerTxn = round3(float64(s.stmtSum) / float64(s.stmtTxns))
	}
	for n, c := range s.participants {
		if c == 0 {
			continue
		}
		if out.Participants == nil {
			out.Participants = map[string]int64{}
		}
		out.Participants[strconv.Itoa(n)] = c
	}
	return out
}

// latencyOf reports a latency distribution in ms. Percentiles and max come
// from the histogram (the upper edge of a value's bucket, within 0.1%), so
// that a tool reading the histograms of a results file finds the same figures
// as the summary; the mean is exact over the same clamped values.
func latencyOf(h *hdrhistogram.Histogram, sumMicros int64) Latency {
	n := h.TotalCount()
	if n == 0 {
		return Latency{}
	}
	pct := func(q float64) float64 { return microsToMs(h.ValueAtQuantile(q)) }
	return Latency{
		Mean: round3(float64(sumMicros) / float64(n) / 1000),
		P50:  pct(50),
		P95:  pct(95),
		P99:  pct(99),
		P999: pct(99.9),
		// The 100th percentile is Max (the upper edge of the highest
		// value's bucket) found by the library's block scan of the counts;
		// Max walks every bucket up to it computing its bounds, 1.5% of a
		// 5 s 2pc YCSB-A run's instructions (TestMaxIsTheHundredthPercentile).
		Max: pct(100),
	}
}

func microsToMs(us int64) float64 { return round3(float64(us) / 1000) }

// ratio returns a/b, or 0 when b is 0 (JSON cannot hold NaN or Inf, and "no
// attempts" reads best as an abort rate of 0).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return finite(a / b)
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// round3 rounds to 3 decimals: microseconds when x is in ms. Rounding every
// float written keeps results byte-identical across platforms whose float
// arithmetic may differ in the last bits.
func round3(x float64) float64 {
	return finite(math.Round(x*1000) / 1000)
}

// roundSig rounds to 6 significant digits, for rates and ratios whose
// magnitude varies too much for a fixed number of decimals.
func roundSig(x float64) float64 {
	x = finite(x)
	if x == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64)
	return v
}

// Commit shapes: how many partitions (adjudicators, splits, shards) a
// committed transaction's commit involved.
const (
	ShapeSingle = "single-partition"
	ShapeMulti  = "multi-partition"
)

func shapeOf(participants int) string {
	if participants > 1 {
		return ShapeMulti
	}
	return ShapeSingle
}

type shapeStats struct {
	h   *hdrhistogram.Histogram
	sum int64 // µs, for an exact mean
}

// add records us.
func (s *shapeStats) add(us int64) {
	s.sum += us
	recordMicros(s.h, us)
}

func (st *stats) shape(name string) *shapeStats { return histNamed(&st.shapes, &st.shapeNames, name) }

func (st *stats) statement(kind string) *shapeStats {
	return histNamed(&st.statements, &st.stmtNames, kind)
}

// histNamed is histIn, looked up in first among names.
func histNamed(m *map[string]*shapeStats, names *named[*shapeStats], name string) *shapeStats {
	if sh, ok := names.get(name); ok {
		return sh
	}
	sh := histIn(m, name)
	names.add(name, sh)
	return sh
}

// histIn returns the named histogram of *m, adding it (and the map) if new.
func histIn(m *map[string]*shapeStats, name string) *shapeStats {
	if *m == nil {
		*m = map[string]*shapeStats{}
	}
	sh := (*m)[name]
	if sh == nil {
		sh = &shapeStats{h: newHistogram()}
		(*m)[name] = sh
	}
	return sh
}
