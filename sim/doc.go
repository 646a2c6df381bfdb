// Package sim is a deterministic discrete-event simulation kernel and the
// cluster model the simulated engines run on.
//
// The kernel is single-threaded: events sit in a queue ordered by (virtual
// time, sequence number) and run one at a time. Sequential protocol code — a
// client running a transaction, a coordinator running two-phase commit — runs
// as a Proc: a coroutine (iter.Pull) that blocks on virtual-time operations
// (Sleep, Await on a Future, a CPU queue) and is resumed by the kernel. Only
// one Proc runs at any moment, so simulated code needs no locks, and a run is
// a pure function of its seed and configuration.
//
// Every blocking operation names a Category (network, CPU, queueing, lock
// wait, ...); the time a Proc spends blocked is added to its Ledger, which is
// how engines report a latency breakdown without instrumenting each step.
//
// The cluster model (Cluster) places nodes in regions and availability zones
// of a Topology, delays messages by the topology's round-trip times plus
// jitter, gives each node CPU cores with a FIFO run queue, and a clock whose
// offset from true time is bounded by ε (TrueTime / ClockBound style).
//
// sim imports nothing else of txbench.
package sim
