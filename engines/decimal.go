package engines

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxScale is the largest decimal scale (digits after the point) a value
// can carry: 18 digits fill an int64.
const MaxScale = 18

// Decimal is an exact fixed-point number, Units / 10^Scale: SQL's
// numeric(p, s) as TPC-C clause 1.3 requires for money (represented
// exactly, so sums compare equal). 18 significant digits are enough for
// every numeric column the workloads declare; arithmetic that would
// overflow int64 panics, as it is a workload bug.
type Decimal struct {
	Units int64
	Scale uint8
}

// Dec is units / 10^scale.
func Dec(units int64, scale int) Decimal {
	if scale < 0 || scale > MaxScale {
		panic(fmt.Sprintf("engines: decimal scale %d out of range", scale))
	}
	return Decimal{Units: units, Scale: uint8(scale)}
}

var pow10 = func() (p [MaxScale + 1]int64) {
	p[0] = 1
	for i := 1; i <= MaxScale; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// Rescale returns d with the given scale; a smaller scale rounds half away
// from zero, as PostgreSQL does when storing into numeric(p, s).
func (d Decimal) Rescale(scale int) Decimal {
	s := int(d.Scale)
	switch {
	case scale == s:
		return d
	case scale > s:
		return Dec(mul(d.Units, pow10[scale-s]), scale)
	}
	f := pow10[s-scale]
	q, r := d.Units/f, d.Units%f
	if 2*abs(r) >= f {
		if d.Units < 0 {
			q--
		} else {
			q++
		}
	}
	return Dec(q, scale)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func mul(a, b int64) int64 {
	c := a * b
	if a != 0 && (c/a != b || (a == -1 && b == -1<<63)) {
		panic("engines: decimal overflow")
	}
	return c
}

// Add is d + o at the larger scale.
func (d Decimal) Add(o Decimal) Decimal {
	s := max(d.Scale, o.Scale)
	a, b := d.Rescale(int(s)), o.Rescale(int(s))
	c := a.Units + b.Units
	if (c > a.Units) != (b.Units > 0) {
		panic("engines: decimal overflow")
	}
	return Decimal{Units: c, Scale: s}
}

// Neg is -d.
func (d Decimal) Neg() Decimal { return Decimal{Units: -d.Units, Scale: d.Scale} }

// MulInt is d * n.
func (d Decimal) MulInt(n int64) Decimal { return Decimal{Units: mul(d.Units, n), Scale: d.Scale} }

// Mul is d * o at the sum of the scales (exact).
func (d Decimal) Mul(o Decimal) Decimal {
	return Dec(mul(d.Units, o.Units), int(d.Scale+o.Scale))
}

// Cmp is -1, 0 or 1 as d is less than, equal to or greater than o.
func (d Decimal) Cmp(o Decimal) int {
	s := int(max(d.Scale, o.Scale))
	return cmpInt(d.Rescale(s).Units, o.Rescale(s).Units)
}

// Float is d's nearest float64 (for display and statistics only).
func (d Decimal) Float() float64 { return float64(d.Units) / float64(pow10[d.Scale]) }

// String is d in SQL's notation, with exactly Scale digits after the point.
func (d Decimal) String() string {
	u := strconv.FormatUint(uint64(abs(d.Units)), 10)
	if d.Units == -1<<63 {
		u = strings.TrimPrefix(strconv.FormatInt(d.Units, 10), "-")
	}
	sign := ""
	if d.Units < 0 {
		sign = "-"
	}
	if d.Scale == 0 {
		return sign + u
	}
	if len(u) <= int(d.Scale) {
		u = strings.Repeat("0", int(d.Scale)-len(u)+1) + u
	}
	cut := len(u) - int(d.Scale)
	return sign + u[:cut] + "." + u[cut:]
}

// ParseDecimal reads SQL's notation ("-12.5") at the given scale, rounding
// extra digits half away from zero.
func ParseDecimal(s string, scale int) (Decimal, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Decimal{}, fmt.Errorf("engines: %q is not a decimal number", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(pow10[scale]))
	n, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		n.Add(n, big.NewInt(int64(r.Sign())))
	}
	if !n.IsInt64() {
		return Decimal{}, fmt.Errorf("engines: %q does not fit a decimal of scale %d", s, scale)
	}
	return Dec(n.Int64(), scale), nil
}
