package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Epoch is added to virtual time to form clock readings, so that every
// timestamp an engine takes is positive and "0" can mean "before everything".
const Epoch = time.Hour

// Epsilon is a clock-uncertainty model: ε is constant (Lo = Hi) or a
// sawtooth that grows linearly from Lo to Hi over each Period and drops
// back, like TrueTime's ε between time-master polls (Spanner 2012: 1→7 ms
// every 30 s). The zero value is a perfect clock.
type Epsilon struct {
	Lo, Hi, Period time.Duration
}

// FixedEpsilon is a constant bound (ClockBound: tens of microseconds).
func FixedEpsilon(e time.Duration) Epsilon { return Epsilon{Lo: e, Hi: e} }

// SawtoothEpsilon grows linearly from lo to hi over each period and drops
// back. Each node's clock runs its own sawtooth at a seeded phase (real
// servers poll their time masters on their own schedules).
func SawtoothEpsilon(lo, hi, period time.Duration) Epsilon {
	return Epsilon{Lo: lo, Hi: hi, Period: period}
}

// At is ε at virtual time t of a sawtooth whose cycle starts at phase.
func (e Epsilon) At(t, phase Time) time.Duration {
	if e.Period <= 0 || e.Hi <= e.Lo {
		return e.Lo
	}
	frac := float64((t+phase)%e.Period) / float64(e.Period)
	return e.Lo + time.Duration(frac*float64(e.Hi-e.Lo))
}

// Mean is the time-averaged ε (ε̄).
func (e Epsilon) Mean() time.Duration {
	if e.Period <= 0 || e.Hi <= e.Lo {
		return e.Lo
	}
	return (e.Lo + e.Hi) / 2
}

// MaxEpsilon bounds ε: TrueTime's worst is milliseconds, and a bound keeps
// a commit wait (about 2ε) a finite, interruptible stretch of virtual time.
const MaxEpsilon = 10 * time.Second

// ParseEpsilon reads "50us", "4ms" or "sawtooth:1ms-7ms/30s"; "" is zero.
// ε above MaxEpsilon is refused.
func ParseEpsilon(s string) (Epsilon, error) {
	e, err := parseEpsilon(s)
	if err != nil {
		return Epsilon{}, err
	}
	if e.Hi > MaxEpsilon || e.Lo > MaxEpsilon {
		return Epsilon{}, fmt.Errorf("ε must be at most %v, got %q", MaxEpsilon, s)
	}
	return e, nil
}

func parseEpsilon(s string) (Epsilon, error) {
	if s == "" {
		return FixedEpsilon(0), nil
	}
	if rest, ok := strings.CutPrefix(s, "sawtooth:"); ok {
		rng, per, ok1 := strings.Cut(rest, "/")
		lo, hi, ok2 := strings.Cut(rng, "-")
		if ok1 && ok2 {
			l, e1 := time.ParseDuration(lo)
			h, e2 := time.ParseDuration(hi)
			p, e3 := time.ParseDuration(per)
			if e1 == nil && e2 == nil && e3 == nil && l >= 0 && h >= l && p > 0 {
				return SawtoothEpsilon(l, h, p), nil
			}
		}
		return Epsilon{}, fmt.Errorf("want sawtooth:LOW-HIGH/PERIOD (e.g. sawtooth:1ms-7ms/30s), got %q", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return Epsilon{}, fmt.Errorf("want a non-negative duration (e.g. 50us) or sawtooth:1ms-7ms/30s, got %q", s)
	}
	return FixedEpsilon(d), nil
}

// Clock is a node's clock with bounded uncertainty (TrueTime / ClockBound):
// it reads true time plus an offset that always lies within ±ε, and reports
// the interval [earliest, latest] that surely contains true time.
type Clock struct {
	k   *Kernel
	eps Epsilon
	// phase shifts this node's sawtooth: each node polls on its own
	// schedule, so ε differs between nodes at any instant and a run of any
	// length sees ε̄ on average.
	phase Time
	// skew in [-1, 1]: the offset is skew·ε(t), so it never leaves the bound
	// even when ε shrinks.
	skew float64
	// raised, when set, widens the bound during ε faults (fault.go); the
	// offset stays where the model put it.
	raised func(t Time) time.Duration
}

func newClock(k *Kernel, eps Epsilon, rng *rand.Rand) *Clock {
	c := &Clock{k: k, eps: eps, skew: 2*rng.Float64() - 1}
	if eps.Period > 0 {
		c.phase = Time(rng.Int64N(int64(eps.Period)))
	}
	return c
}

// Interval is a TrueTime reading.
type Interval struct{ Earliest, Latest int64 }

// Now returns the reading: earliest ≤ true time ≤ latest.
func (c *Clock) Now() Interval { return c.At(c.k.now) }

// Local is the clock's point reading (the middle of the interval).
func (c *Clock) Local() int64 {
	iv := c.Now()
	return (iv.Earliest + iv.Latest) / 2
}

// Epsilon is the current uncertainty bound.
func (c *Clock) Epsilon() time.Duration {
	e := c.eps.At(c.k.now, c.phase)
	if c.raised != nil {
		e = max(e, c.raised(c.k.now))
	}
	return e
}

// TrueTime converts a virtual time to a true timestamp (what a perfect
// clock would read), for tests and for computing when a wait ends.
func TrueTime(t Time) int64 { return int64(Epoch + t) }

// VirtualOf converts a true timestamp back to virtual time.
func VirtualOf(ts int64) Time { return Time(ts) - Epoch }

// WaitUntilEarliestAfter blocks p until this clock's earliest reading is
// past ts: Spanner's commit wait ("TT.after(s)"). The wait is charged to c.
func (c *Clock) WaitUntilEarliestAfter(p *Proc, ts int64, cat Category) {
	for {
		iv := c.Now()
		if iv.Earliest > ts {
			return
		}
		// Earliest advances at (nearly) the rate of true time; re-check
		// after the gap in case ε changed meanwhile.
		p.Sleep(time.Duration(ts-iv.Earliest+1), cat)
	}
}

// At is the reading this clock gives (gave, or will give) at virtual time t.
func (c *Clock) At(t Time) Interval {
	e := c.eps.At(t, c.phase)
	local := int64(Epoch+t) + int64(c.skew*float64(e))
	if c.raised != nil {
		e = max(e, c.raised(t))
	}
	return Interval{Earliest: local - int64(e), Latest: local + int64(e)}
}

// WhenEarliestReaches returns the first virtual time (to within a
// nanosecond for a constant ε) at which the clock's earliest reading is at
// least ts. A replica uses it to know when another node's closed timestamp
// passes a read timestamp.
func (c *Clock) WhenEarliestReaches(ts int64) Time {
	t := Time(ts) - Epoch // earliest ≤ true time, so this is not too late
	for range 16 {
		gap := ts - c.At(t).Earliest
		if gap <= 0 {
			return t
		}
		t += Time(gap)
	}
	return t
}
