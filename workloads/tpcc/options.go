package tpcc

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/txbench/txbench/internal/option"
)

// Transaction type names, in the order reports show them.
const (
	TypeNewOrder    = "new_order"
	TypePayment     = "payment"
	TypeOrderStatus = "order_status"
	TypeDelivery    = "delivery"
	TypeStockLevel  = "stock_level"
)

var txnTypes = []string{TypeNewOrder, TypePayment, TypeOrderStatus, TypeDelivery, TypeStockLevel}

// DefaultMix is the standard mix of clause 5.2.3 as a deck of 100 cards.
const DefaultMix = "new_order=45,payment=43,order_status=4,delivery=4,stock_level=4"

// minimumMix holds the spec's minimum percentages (clause 5.2.3); New-Order
// takes whatever is left.
var minimumMix = map[string]int{TypePayment: 43, TypeOrderStatus: 4, TypeDelivery: 4, TypeStockLevel: 4}

// Full cardinalities (clause 4.3.3.1) and the smallest a --scale may shrink
// them to, so that Stock-Level's last 20 orders and the delivered/undelivered
// split keep their meaning.
const (
	fullItems     = 100000
	fullCustomers = 3000 // per district, also orders per district
	minItems      = 100
	minCustomers  = 30
	districts     = 10
)

// Options are the workload's parameters; each field is one flag.
type Options struct {
	Warehouses int     // --warehouses
	Scale      float64 // --scale: 1 is the spec's population; less is non-compliant
	Mix        string  // --mix
	Wait       bool    // --wait: the spec's keying and think times
}

// DefaultOptions returns the flag defaults.
func DefaultOptions() Options {
	return Options{Warehouses: 1, Scale: 1, Mix: DefaultMix}
}

// maxWarehouses bounds --warehouses; whether that many fit this machine's
// memory is estimated before loading (each warehouse is about 160 MiB in
// the simulator).
const maxWarehouses = 100000

// Declare declares the tpcc options, bound to o's fields.
func (o *Options) Declare(s *option.Set) {
	s.Int(&o.Warehouses, "warehouses", 1, maxWarehouses, "warehouses loaded (clients are spread over them; 10 per warehouse is the spec's terminal count)").
		WithUnit("warehouses").ChangesData()
	s.Float(&o.Scale, "scale", 0, 1, "shrink items and customers per district by this factor for quick experiments; below 1 the run is NOT compliant and is marked so").
		ChangesData()
	s.String(&o.Mix, "mix", func(v string) error { _, err := ParseMix(v); return err },
		"transaction mix as a deck of 100 cards, name=cards,... (must add up to 100)")
	s.Bool(&o.Wait, "wait", "the spec's keying and think times per transaction type (clause 5.2.5.7); off like most benchmarks")
	s.Rule(func() error {
		if o.Scale <= 0 {
			return fmt.Errorf("--scale must be in (0, 1], got %v", o.Scale)
		}
		return nil
	})
}

// Validate returns every problem, each naming its option.
func (o Options) Validate() error {
	s := option.NewSet("workload tpcc")
	o.Declare(s)
	return s.Check()
}

// Mix is the number of cards of each type in a deck of 100, in txnTypes order.
type Mix [5]int

// ParseMix reads "name=cards,..." (types not named get no cards). The cards
// must add up to 100, so that the deck is the percentages.
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[string]bool{}
	var errs []error
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			errs = append(errs, fmt.Errorf("--mix: %q is not name=cards", part))
			continue
		}
		i := typeIndex(name)
		if i < 0 {
			errs = append(errs, fmt.Errorf("--mix: unknown transaction %q (want %s)", name, strings.Join(txnTypes, ", ")))
			continue
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("--mix: %s given twice", name))
			continue
		}
		seen[name] = true
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 0 || n > 100 {
			errs = append(errs, fmt.Errorf("--mix: %s must be a whole number of cards in [0,100], got %q", name, val))
			continue
		}
		m[i] = n
	}
	if len(errs) > 0 {
		return m, errors.Join(errs...)
	}
	total := 0
	for _, n := range m {
		total += n
	}
	if total != 100 {
		return m, fmt.Errorf("--mix must add up to 100, got %d", total)
	}
	return m, nil
}

func typeIndex(name string) int {
	for i, t := range txnTypes {
		if t == name {
			return i
		}
	}
	return -1
}

// compliant reports whether the mix meets the spec's minimum percentages.
func (m Mix) compliant() bool {
	for i, t := range txnTypes {
		if m[i] < minimumMix[t] {
			return false
		}
	}
	return true
}

func (m Mix) String() string {
	parts := make([]string, len(txnTypes))
	for i, t := range txnTypes {
		parts[i] = fmt.Sprintf("%s=%d", t, m[i])
	}
	return strings.Join(parts, ",")
}

// Keying and mean think times per type (clause 5.2.5.7), in txnTypes order.
var (
	keyingTime = [5]time.Duration{18 * time.Second, 3 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}
	thinkMean  = [5]time.Duration{12 * time.Second, 12 * time.Second, 10 * time.Second, 5 * time.Second, 5 * time.Second}
)

// sizes are the population's cardinalities for a scale.
type sizes struct {
	items     int64
	customers int64 // per district; also the initial orders per district
	delivered int64 // initial orders per district that are delivered (O_ID <= delivered)
	names     int64 // last-name numbers in use: 1000, fewer when customers < 1000
}

func sizesFor(scale float64) sizes {
	s := sizes{
		items:     max(minItems, int64(math.Round(fullItems*scale))),
		customers: max(minCustomers, int64(math.Round(fullCustomers*scale))),
	}
	s.delivered = s.customers * 7 / 10 // 2100 of 3000
	s.names = min(1000, s.customers)
	return s
}
