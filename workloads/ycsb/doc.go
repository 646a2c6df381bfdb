// Package ycsb implements the Yahoo! Cloud Serving Benchmark workloads for
// txbench: the six core workloads, registered as ycsb-a .. ycsb-f, and the
// multi-operation transactional variant used in the concurrency-control
// literature (DBx1000, Deneva), registered as ycsb.
//
// # Data
//
// One table, usertable(ycsb_key text primary key, field0 .. field9 text),
// sharded by the key. Row n (n = 0 .. --records-1) has key "user" followed
// by FNVHash64(n) in decimal, as YCSB names keys with its default
// insertorder=hashed, or, with --insert-order ordered, "user" followed by n
// zero-padded to 19 digits, so that key order is insertion order. Fields are
// --field-length (100) printable bytes each; to keep a simulator holding
// millions of values small, every value is a substring of one seeded 64 KiB
// pool of random bytes (see poolSize), not independent random data. The load
// is deterministic in the seed and arrives in batches of 1000 rows.
//
// # Core workloads
//
// Each YCSB operation is one transaction, of type read (Get of the whole
// row), update (Update of one random field, YCSB's writeallfields=false),
// insert (Insert of a whole new row), scan (Scan of a uniform 1..100 rows
// from a start key, in key order) or rmw (Get, then Update of one field).
// Reads and scans are declared read-only.
//
//	ycsb-a  50% read, 50% update          scrambled zipfian
//	ycsb-b  95% read,  5% update          scrambled zipfian
//	ycsb-c 100% read                      scrambled zipfian
//	ycsb-d  95% read,  5% insert          latest
//	ycsb-e  95% scan,  5% insert          scrambled zipfian
//	ycsb-f  50% read, 50% rmw             scrambled zipfian
//
// YCSB's requestdistribution=zipfian is its ScrambledZipfianGenerator, so
// that is what these use; --distribution overrides it for every workload
// (zipfian, scrambled-zipfian, uniform, latest, hotspot).
//
// Inserts take new key numbers from a KeySequence shared by all clients of
// the workload, starting at --records. As in YCSB, readers only choose keys
// up to the sequence's acknowledged limit; a client acknowledges its insert
// when it draws its next transaction, by which time the insert has committed
// or been given up. The latest distribution (SkewedLatest) follows the limit;
// the scrambled zipfian key chooser, like YCSB's, draws over the loaded keys
// plus the inserts it expects (2 × insert proportion × records, YCSB's
// formula with operationcount = recordcount as in its workload files) and
// redraws keys not inserted yet; plain zipfian extends ζ incrementally as the
// key space grows; uniform and hotspot cover the loaded keys, as in YCSB.
//
// # Transactional variant
//
// A ycsb transaction (type txn) performs --ops-per-txn (10) operations on
// distinct keys; each is a read-modify-write (Get, then Update of one field)
// with probability --write-frac (0.5), else a read (Get). Keys follow a plain
// zipfian with constant --theta (0.6) over --records keys, as DBx1000 and
// Deneva draw them. A transaction that drew no write is declared read-only.
//
// # Partitions
//
// Whether a transaction touches one partition of a distributed database or
// several is what the multi-partition literature measures (Deneva's
// "multi-partition cliff"). The workload cannot know how an engine splits
// its data, so it defines partitions of its own: --partitions P (0, off, by
// default) adds an integer column ycsb_part = key number mod P, which leads
// the primary key (ycsb_part, ycsb_key) and is the table's shard key, so
// every engine places rows by it. --partitions-per-txn K then draws each
// ycsb transaction's keys from exactly K distinct partitions, chosen
// uniformly; operation i goes to the i mod K-th of them, at the rank (key
// number div P) the request distribution drew, so the skew holds within
// each partition. Engines that place integer shard keys by value modulo
// their partition count (sharded) put P ≤ N partitions on P distinct
// shards, so K is exactly the number of shards a transaction touches;
// engines that hash them (occ's adjudicators, 2pc's splits) may put two
// partitions on one node. With --partitions alone the keys drawn are the
// same as without it.
//
// # Determinism
//
// Every generator (Zipfian, ScrambledZipfian, SkewedLatest, Hotspot,
// Uniform) draws from an explicit *rand.Rand; a client's transactions depend
// only on its stream and on the order in which clients draw (the shared
// insert sequence), which the single-threaded simulator fixes. Inputs (keys,
// field, values, scan length) are fixed when a transaction is drawn, so a
// retry issues the same statements.
package ycsb
