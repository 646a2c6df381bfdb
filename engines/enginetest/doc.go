// Package enginetest is the one test harness every engine runs: a world
// builder for simulated engines (a kernel, a cluster, an engine, preloaded
// rows, clients as processes), scripted interleavings of concurrent
// transactions that run the same way in virtual time and against a real
// server in wall time, and the conformance table — engine and isolation
// level → which anomalies it allows — with the probes that check it.
//
// A script issues its steps in order, each in its transaction's client; a
// step that does not finish within a block timeout is left waiting (a lock
// wait) and the script goes on, as PostgreSQL's isolation tester does. On
// simulated engines the whole run is deterministic.
package enginetest
