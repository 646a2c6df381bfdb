package runner

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/txbench/txbench/workloads"
)

// checkMemory refuses, before loading, a simulated load that would not fit
// this machine's available memory (the simulator holds every row), with
// the estimate, rather than ending in an out-of-memory crash.
func checkMemory(wl workloads.Workload) error {
	need, opt := loadBytes(wl)
	if need == 0 {
		return nil
	}
	avail, ok := availableMemory()
	if !ok || need <= avail {
		return nil
	}
	return fmt.Errorf("%s needs about %s of memory in the simulator; this machine has %s available", opt, gib(need), gib(avail))
}

// loadBytes is the workload's estimate of its loaded data and the option
// that sizes it; 0 if it has none.
func loadBytes(wl workloads.Workload) (int64, string) {
	if sized, ok := wl.(workloads.Sized); ok {
		return sized.LoadBytes()
	}
	return 0, ""
}

// hugePagesEnv is the environment variable that turns the heap's huge
// pages off (hugepages_linux.go).
const hugePagesEnv = "TXBENCH_HUGEPAGES"

// hugePagesAllowed reads hugePagesEnv: unset, "on" or "off".
func hugePagesAllowed() (bool, error) {
	switch v := os.Getenv(hugePagesEnv); v {
	case "", "on":
		return true, nil
	case "off":
		return false, nil
	default:
		return false, fmt.Errorf("%s: want on or off, got %q", hugePagesEnv, v)
	}
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// availableMemory reads MemAvailable from /proc/meminfo (Linux); elsewhere
// it reports nothing and the check is skipped.
func availableMemory() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
