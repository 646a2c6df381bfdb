package workloads

import "github.com/txbench/txbench/engines"

// Implicit is implemented by workloads whose table can exist without being
// loaded (ycsb --implicit-rows): ImplicitRows returns the table and its
// rows by encoded primary key (see engines.ImplicitLoader), or a nil table
// when the workload loads its rows as usual. The runner hands them to the
// engine before Load, and refuses engines that cannot take them.
type Implicit interface {
	ImplicitRows() (*engines.Table, func(key string) (engines.Row, bool))
}
