package runner

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Transparent huge pages for the simulator's heap.
//
// The simulator holds every row in the Go heap and touches it at random,
// so with 4 KiB pages it pays a page fault for each page the heap grows
// into (about 10 µs each in the VMs measured: a 10-warehouse TPC-C run
// faulted 300,000 times, 3 s of system time) and a TLB miss on most row
// look-ups. Linux backs memory with 2 MiB pages where a process asks for
// them (THP "madvise", the default of Debian and Ubuntu), and the Go
// runtime does not ask. So before a simulated load, reserveHugePages
// allocates one large block, which makes the runtime map that much fresh
// address space without touching it, marks the block MADV_HUGEPAGE, and
// frees it: the runtime hands the same addresses out again as the heap
// grows, now faulted 2 MiB at a time. Measured (docs/results.md): YCSB-A
// on occ 0.76 → 0.60 CPU-s (30 s), TPC-C with 10 warehouses 16 → 13 s (2
// minutes; 10 minutes: 49–57 → 46–48 s). It changes nothing the
// simulation sees.
//
// It does nothing when THP is "always" (already huge) or "never", under
// strict overcommit (the reservation would count against the commit
// limit), with GODEBUG=disablethp=1, or with TXBENCH_HUGEPAGES=off.

var hugeMu sync.Mutex

// hugeReserved is how much address space this process has advised.
var hugeReserved int64

const (
	hugeMin   = 256 << 20
	hugeExtra = 128 << 20
)

// reserveHugePages advises enough heap for a load estimated at need bytes
// (peak heap about 2.5× the loaded data), at most half the memory available.
// The error is a bad TXBENCH_HUGEPAGES.
func reserveHugePages(need int64) error {
	allowed, err := hugePagesAllowed()
	if !allowed || !hugePagesWanted() {
		return err
	}
	n := max(hugeMin, need*5/2+hugeExtra)
	if avail, ok := availableMemory(); ok {
		n = min(n, avail/2)
	}
	hugeMu.Lock()
	defer hugeMu.Unlock()
	if n <= hugeReserved {
		return nil
	}
	adviseHuge(n)
	hugeReserved = n
	return nil
}

// adviseHuge maps n bytes of fresh heap, advises it and gives it back.
func adviseHuge(n int64) {
	b := make([]byte, n)
	// Errors are ignored: the advice is a hint, and a kernel without THP
	// refuses it harmlessly.
	_ = syscall.Madvise(unsafe.Slice(&b[0], len(b)), syscall.MADV_HUGEPAGE)
	b = nil
	runtime.GC()
}

// hugePagesWanted: the system would give this process huge pages only if
// it asked, and nothing says not to ask.
func hugePagesWanted() bool {
	if strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return false
	}
	if oc, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || strings.TrimSpace(string(oc)) == "2" {
		return false
	}
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && strings.Contains(string(mode), "[madvise]")
}
