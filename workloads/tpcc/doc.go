// Package tpcc implements TPC-C (revision 5.11) for txbench: the nine
// tables, the initial population, the five transactions in the standard
// mix, tpmC, and the consistency conditions of clause 3.3.2. It is
// registered as the workload "tpcc".
//
// # Schema
//
// warehouse, district, customer, history, new_order, orders (ORDER is an
// SQL keyword), order_line, item and stock have the spec's columns in the
// spec's order and its primary keys (clause 1.3). Money, taxes and
// discounts are exact decimals of the spec's numeric(p, s); dates are
// timestamps. Every table but item is sharded by its
// warehouse id, so a warehouse's rows are collocated; item is a reference
// table, as Limitless collocation would place it. HISTORY has no primary key
// in the spec; the contract needs one, so it gets a surrogate h_id and the
// key (h_w_id, h_id). Loaded rows number 1..30,000 per warehouse; a Payment
// draws its h_id at random above 2^32, so terminals never coordinate (a
// collision among 2^62 values is negligible).
//
// Two transactions read by secondary indexes, declared in the schema and
// kept by the engine: customer by_name (c_w_id, c_d_id, c_last, c_first),
// whose prefix query on (w, d, last) lists the customers in C_FIRST order,
// and orders by_customer (o_w_id, o_d_id, o_c_id), whose reversed query
// with limit 1 is the customer's last order.
//
// The NURand C constants the load used are stored in a one-row-per-field
// reference table, nurand (name, c).
//
// # Population
//
// Load generates clause 4.3.3.1's population deterministically from the
// seed, one random stream per table and warehouse (warehouse 3 is the same
// whether 3 or 300 are loaded), and hands it to the engine's bulk Load in
// batches of 1,000 rows. --warehouses sets the count. --scale below 1
// shrinks items (100,000) and customers and orders per district (3,000) —
// not below 100 and 30 — keeping the spec's proportions (70% of the orders
// delivered, the rest in new_order); such a run is not compliant and the
// results say so in their notes. Strings are substrings of seeded pools
// (see poolSize): the sizes are the spec's, the content far more
// compressible.
//
// # Transactions
//
// The five transactions follow clause 2 in the statements its SQL takes,
// with the contract's set-oriented forms (see each Run and docs/models.md):
// New-Order 9 statements (5-15 lines, 1% of lines from a remote warehouse,
// 1% rolled back on an unused item, found when the items are read after the
// order's inserts), Payment 5 or 6 by last name (60% by last name, 15% for
// a customer of a remote warehouse), Order-Status 3 (read-only), Delivery
// 14 (all 10 districts in one transaction, run directly rather than
// queued; a district without new orders is skipped) and Stock-Level 3
// (read-only; the last 20 orders of the terminal's district, threshold
// 10-20; the join is a range scan and one many-key read with the predicate
// at storage). Rows read and then written are read FOR UPDATE or updated
// with expressions, so lock-based engines take the write lock at once
// instead of upgrading. Inputs are drawn when a transaction is dealt, so a
// retry issues the same statements.
//
// A rolled-back New-Order calls Rollback itself (the runner does not roll
// back a transaction that returns an abort) and returns an
// *engines.AbortError with Reason engines.ReasonUser, not retryable: the
// runner counts it as a failed transaction and the abort reason
// "user-rollback".
//
// Dates the transactions write (O_ENTRY_D, H_DATE, OL_DELIVERY_D) come from
// a logical clock per terminal — the load date plus a day plus a
// millisecond per transaction drawn — so the database state is a function
// of the seed in virtual and wall time alike. Nothing reads them back but
// for NULL-ness.
//
// # Terminals and the mix
//
// Client i is a terminal of warehouse i mod W + 1; its Stock-Level district
// is (i div W) mod 10 + 1. Each terminal deals transaction types from its
// own deck of 100 cards (--mix, default 45/43/4/4/4), reshuffled when used
// up (clause 5.2.4.2). The standard mix sits exactly at the spec's minimum
// percentages, so over a finite run with partly dealt decks a type can be a
// fraction of a point below its minimum. --wait adds the spec's keying and
// think times (clause 5.2.5.7: keying 18/3/2/2/2 s, think times negative
// exponential with means 12/12/10/5/5 s truncated at ten means); without it
// terminals run back to back, as most benchmarks do, and throughput is not
// bounded by the spec's 12.86 tpmC per warehouse.
//
// # Randomness
//
// NURand(A, x, y) is clause 2.1.6's; C_LAST's C for the load is drawn with
// the workload, the run's differs from it by a delta in [65, 119] other than
// 96 and 112, and C_ID's and OL_I_ID's are the same at load and run time
// (which the spec allows). Last names are the syllables of clause 4.3.2.3.
//
// # Metrics
//
// tpmC is New-Orders completed per measured minute. The 1% rolled back on
// purpose are completed business transactions in the spec and count; a
// New-Order given up after conflicts does not. tpmTotal counts every type
// the same way. Efficiency is tpmC / (12.86 × warehouses). The workload
// also reports the rolled-back share of New-Orders, and notes the
// warehouses, the wait times and anything non-compliant.
//
// # Consistency
//
// Check evaluates conditions 3.3.2.1 to 3.3.2.12 for every warehouse,
// district, order, order line and customer in one
// read-only transaction (a single snapshot). A failure does not stop the
// others; each result says what was evaluated or the first violations.
// Condition 11 holds only until the first Delivery: it is evaluated in the
// districts where the first order the load left undelivered still is, and
// reported skipped when a Delivery has run everywhere. Money is compared
// exactly, in cents.
package tpcc
