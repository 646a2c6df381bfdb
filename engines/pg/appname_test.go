package pg

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// A partitioned run's connections name their part; others do not.
func TestAppNameNamesThePartition(t *testing.T) {
	if got := newAppName("1/4"); !strings.HasPrefix(got, fmt.Sprintf("txbench-%d-", os.Getpid())) || !strings.HasSuffix(got, "-part-1/4") {
		t.Errorf("partitioned: application_name %q", got)
	}
	if got := newAppName(""); strings.Contains(got, "part") {
		t.Errorf("not partitioned: application_name %q", got)
	}
}
