package runner

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"
)

// The heap a bench process grows into after reserveHugePages lies in
// memory advised for huge pages: the mapping holding a fresh large
// allocation carries the kernel's "hg" flag. It runs in a new process, as
// bench does (reserve, then load): in this one, other tests have grown
// and fragmented the heap already.
func TestReserveHugePagesAdvisesTheHeapAheadOfUse(t *testing.T) {
	if ok, _ := hugePagesAllowed(); !ok || !hugePagesWanted() {
		t.Skip("transparent huge pages are not in madvise mode here (or are turned off): nothing is reserved")
	}
	if os.Getenv("TXBENCH_HUGEPAGES_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReserveHugePagesAdvisesTheHeapAheadOfUse$", "-test.v")
		cmd.Env = append(os.Environ(), "TXBENCH_HUGEPAGES_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in a new process: %v\n%s", err, out)
		}
		t.Logf("in a new process:\n%s", out)
		return
	}
	if err := reserveHugePages(64 << 20); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	flags, huge := mappingOf(t, uintptr(unsafe.Pointer(&b[0])))
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Fatalf("the heap mapping holding a new 32 MiB block has VmFlags %q, without hg (MADV_HUGEPAGE)", flags)
	}
	t.Logf("VmFlags %s; AnonHugePages %s", flags, huge)
}

// mappingOf returns the VmFlags and AnonHugePages of the mapping holding
// addr, from /proc/self/smaps.
func mappingOf(t *testing.T, addr uintptr) (flags, huge string) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			in = lo <= addr && addr < hi
			continue
		}
		if !in {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			huge = strings.TrimSpace(rest)
		}
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			return strings.TrimSpace(rest), huge
		}
	}
	t.Fatalf("no mapping in /proc/self/smaps holds %#x", addr)
	return "", ""
}
