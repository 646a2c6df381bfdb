package runner

import (
	"errors"
	"strings"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
	_ "github.com/txbench/txbench/workloads/ycsb"
)

// storedOnly is an engine that can hold only loaded rows, as pg.
type storedOnly struct{ engines.Engine }

// An engine that cannot take implicit rows refuses them by the option's
// name, as bad input; a workload without them asks nothing of the engine.
func TestImplicitRowsNeedAnEngineThatTakesThem(t *testing.T) {
	wl, err := workloads.New("ycsb", map[string]string{"implicit-rows": "true", "insert-order": "ordered"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = loadImplicit(wl, engines.WithIndexes(storedOnly{}))
	var bad BadInput
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), "--implicit-rows") {
		t.Errorf("loadImplicit on an engine without implicit rows: %v; want bad input naming --implicit-rows", err)
	}
	plain, err := workloads.New("ycsb", nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := loadImplicit(plain, storedOnly{}); err != nil {
		t.Errorf("loadImplicit without implicit rows: %v", err)
	}
}
