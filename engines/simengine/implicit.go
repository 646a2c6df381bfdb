package simengine

import (
	"errors"

	"github.com/txbench/txbench/engines"
)

// LoadImplicit implements engines.ImplicitLoader: the table's unwritten
// rows are row's, committed at the load's timestamp. A secondary index
// would have to hold every implicit row, so indexed tables are refused.
func (b *Base) LoadImplicit(t *engines.Table, row func(key string) (engines.Row, bool)) error {
	if b.Store == nil {
		return errors.New("load before CreateSchema")
	}
	if len(t.Indexes) > 0 {
		return errors.New("implicit rows in a table with secondary indexes (" + t.Name + ")")
	}
	b.Store.SetImplicit(t.ID, LoadTS, func(key string) (engines.Packed, bool) {
		r, ok := row(key)
		if !ok {
			return "", false
		}
		return engines.Pack(r), true
	})
	return nil
}
