package tpcc

import "github.com/txbench/txbench/engines"

// Table names. ORDER is an SQL keyword, so the table is "orders", as in most
// implementations.
const (
	TableWarehouse = "warehouse"
	TableDistrict  = "district"
	TableCustomer  = "customer"
	TableHistory   = "history"
	TableNewOrder  = "new_order"
	TableOrders    = "orders"
	TableOrderLine = "order_line"
	TableItem      = "item"
	TableStock     = "stock"

	// TableNURand holds the C constants the load used (clause 2.1.6).
	TableNURand = "nurand"
)

// Column positions, in the spec's column order (clause 1.3). Each table's
// columns are declared in schema() in exactly this order.
const (
	wID = iota
	wName
	wStreet1
	wStreet2
	wCity
	wState
	wZip
	wTax
	wYTD
	wCols
)

const (
	dID = iota
	dWID
	dName
	dStreet1
	dStreet2
	dCity
	dState
	dZip
	dTax
	dYTD
	dNextOID
	dCols
)

const (
	cID = iota
	cDID
	cWID
	cFirst
	cMiddle
	cLast
	cStreet1
	cStreet2
	cCity
	cState
	cZip
	cPhone
	cSince
	cCredit
	cCreditLim
	cDiscount
	cBalance
	cYTDPayment
	cPaymentCnt
	cDeliveryCnt
	cData
	cCols
)

// The spec's HISTORY has no primary key; hID is a surrogate (see doc.go).
const (
	hCID = iota
	hCDID
	hCWID
	hDID
	hWID
	hDate
	hAmount
	hData
	hID
	hCols
)

const (
	noOID = iota
	noDID
	noWID
	noCols
)

const (
	oID = iota
	oDID
	oWID
	oCID
	oEntryD
	oCarrierID
	oOLCnt
	oAllLocal
	oCols
)

const (
	olOID = iota
	olDID
	olWID
	olNumber
	olIID
	olSupplyWID
	olDeliveryD
	olQuantity
	olAmount
	olDistInfo
	olCols
)

const (
	iID = iota
	iIMID
	iName
	iPrice
	iData
	iCols
)

const (
	sIID = iota
	sWID
	sQuantity
	sDist01 // s_dist_01 .. s_dist_10 follow
)

const (
	sYTD = sDist01 + 10 + iota
	sOrderCnt
	sRemoteCnt
	sData
	sCols
)

// The secondary indexes (clause 2.5.2.2 and 2.6.2.2 read by them).
const (
	// indexByName is customer (c_w_id, c_d_id, c_last, c_first): a prefix
	// query on (w, d, last) lists the customers in C_FIRST order.
	indexByName = "by_name"
	// indexByCustomer is orders (o_w_id, o_d_id, o_c_id), then the key:
	// reversed with limit 1, the customer's most recent order.
	indexByCustomer = "by_customer"
)

const (
	nuName = iota
	nuC
	nuCols
)

// tables holds the schema's tables by role.
type tables struct {
	warehouse, district, customer, history, newOrder, orders, orderLine, item, stock *engines.Table
	nurand                                                                           *engines.Table
}

// newSchema declares the nine tables with the spec's columns, keys and
// numeric money types (clause 1.3), the two secondary indexes and the
// constants table. Every table but item and nurand
// is sharded by its warehouse id, so a warehouse's rows are collocated;
// item is a reference table (read everywhere, never written).
func newSchema() (*engines.Schema, tables) {
	id := func(name string) engines.Column { return engines.Column{Name: name, Type: engines.TypeInt} }
	num := func(name string, p, s int) engines.Column {
		return engines.Column{Name: name, Type: engines.TypeDecimal, Size: p, Scale: s}
	}
	str := func(name string, size int) engines.Column {
		return engines.Column{Name: name, Type: engines.TypeString, Size: size}
	}
	ts := func(name string) engines.Column { return engines.Column{Name: name, Type: engines.TypeTimestamp} }
	null := func(c engines.Column) engines.Column { c.Nullable = true; return c }

	var t tables
	t.warehouse = &engines.Table{
		Name: TableWarehouse,
		Columns: []engines.Column{
			id("w_id"), str("w_name", 10), str("w_street_1", 20), str("w_street_2", 20), str("w_city", 20),
			str("w_state", 2), str("w_zip", 9), num("w_tax", 4, 4), num("w_ytd", 12, 2),
		},
		PrimaryKey: []int{wID}, ShardKey: wID,
	}
	t.district = &engines.Table{
		Name: TableDistrict,
		Columns: []engines.Column{
			id("d_id"), id("d_w_id"), str("d_name", 10), str("d_street_1", 20), str("d_street_2", 20),
			str("d_city", 20), str("d_state", 2), str("d_zip", 9), num("d_tax", 4, 4), num("d_ytd", 12, 2), id("d_next_o_id"),
		},
		PrimaryKey: []int{dWID, dID}, ShardKey: dWID,
	}
	t.customer = &engines.Table{
		Name: TableCustomer,
		Columns: []engines.Column{
			id("c_id"), id("c_d_id"), id("c_w_id"), str("c_first", 16), str("c_middle", 2), str("c_last", 16),
			str("c_street_1", 20), str("c_street_2", 20), str("c_city", 20), str("c_state", 2), str("c_zip", 9),
			str("c_phone", 16), ts("c_since"), str("c_credit", 2), num("c_credit_lim", 12, 2), num("c_discount", 4, 4),
			num("c_balance", 12, 2), num("c_ytd_payment", 12, 2), id("c_payment_cnt"), id("c_delivery_cnt"), str("c_data", 500),
		},
		PrimaryKey: []int{cWID, cDID, cID}, ShardKey: cWID,
		Indexes: []engines.Index{{Name: indexByName, Columns: []int{cWID, cDID, cLast, cFirst}}},
	}
	t.history = &engines.Table{
		Name: TableHistory,
		Columns: []engines.Column{
			id("h_c_id"), id("h_c_d_id"), id("h_c_w_id"), id("h_d_id"), id("h_w_id"), ts("h_date"),
			num("h_amount", 6, 2), str("h_data", 24), id("h_id"),
		},
		PrimaryKey: []int{hWID, hID}, ShardKey: hWID,
	}
	t.newOrder = &engines.Table{
		Name:       TableNewOrder,
		Columns:    []engines.Column{id("no_o_id"), id("no_d_id"), id("no_w_id")},
		PrimaryKey: []int{noWID, noDID, noOID}, ShardKey: noWID,
	}
	t.orders = &engines.Table{
		Name: TableOrders,
		Columns: []engines.Column{
			id("o_id"), id("o_d_id"), id("o_w_id"), id("o_c_id"), ts("o_entry_d"), null(id("o_carrier_id")),
			id("o_ol_cnt"), id("o_all_local"),
		},
		PrimaryKey: []int{oWID, oDID, oID}, ShardKey: oWID,
		Indexes: []engines.Index{{Name: indexByCustomer, Columns: []int{oWID, oDID, oCID}}},
	}
	t.orderLine = &engines.Table{
		Name: TableOrderLine,
		Columns: []engines.Column{
			id("ol_o_id"), id("ol_d_id"), id("ol_w_id"), id("ol_number"), id("ol_i_id"), id("ol_supply_w_id"),
			null(ts("ol_delivery_d")), id("ol_quantity"), num("ol_amount", 6, 2), str("ol_dist_info", 24),
		},
		PrimaryKey: []int{olWID, olDID, olOID, olNumber}, ShardKey: olWID,
	}
	t.item = &engines.Table{
		Name: TableItem,
		Columns: []engines.Column{
			id("i_id"), id("i_im_id"), str("i_name", 24), num("i_price", 5, 2), str("i_data", 50),
		},
		PrimaryKey: []int{iID}, ShardKey: -1, Reference: true,
	}
	stockCols := []engines.Column{id("s_i_id"), id("s_w_id"), id("s_quantity")}
	for d := 1; d <= 10; d++ {
		stockCols = append(stockCols, str(distColumn(d), 24))
	}
	stockCols = append(stockCols, id("s_ytd"), id("s_order_cnt"), id("s_remote_cnt"), str("s_data", 50))
	t.stock = &engines.Table{
		Name: TableStock, Columns: stockCols,
		PrimaryKey: []int{sWID, sIID}, ShardKey: sWID,
	}
	t.nurand = &engines.Table{
		Name:       TableNURand,
		Columns:    []engines.Column{str("name", 16), id("c")},
		PrimaryKey: []int{nuName}, ShardKey: -1, Reference: true,
	}
	s := &engines.Schema{Tables: []*engines.Table{
		t.warehouse, t.district, t.customer, t.history, t.newOrder, t.orders, t.orderLine, t.item, t.stock, t.nurand,
	}}
	return s, t
}

func distColumn(d int) string {
	return "s_dist_" + string(rune('0'+d/10)) + string(rune('0'+d%10))
}

// Key helpers: keys are built often, so they avoid variadic conversions.
func key1(a int64) engines.Key    { return engines.Key{engines.Int(a)} }
func key2(a, b int64) engines.Key { return engines.Key{engines.Int(a), engines.Int(b)} }
func key3(a, b, c int64) engines.Key {
	return engines.Key{engines.Int(a), engines.Int(b), engines.Int(c)}
}
func key4(a, b, c, d int64) engines.Key {
	return engines.Key{engines.Int(a), engines.Int(b), engines.Int(c), engines.Int(d)}
}

// prefix returns a scan over every key that starts with k.
func prefix(k engines.Key) engines.ScanSpec {
	return engines.ScanSpec{Start: k, End: k, EndInclusivePrefix: true}
}

// Money and rates are exact decimals: cents (scale 2) and rates (scale 4).
func cents(c int64) engines.Value { return engines.DecimalValue(engines.Dec(c, 2)) }
func rate(r int64) engines.Value  { return engines.DecimalValue(engines.Dec(r, 4)) }

// centsOf is a scale-2 decimal's value in cents.
func centsOf(v engines.Value) int64 { return v.Dec().Rescale(2).Units }
