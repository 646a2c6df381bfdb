// Package simengine is what every simulated engine repeats, once: the
// shared MVCC store and its snapshots, schema creation and bulk load, the
// garbage-collector loop, transaction and session numbering, client
// placement, and registration with the engine registry.
//
// It is the one place where the engine contract (package engines, which
// knows nothing of the simulator) meets the simulation: a simulated engine
// embeds Base and registers through Register.
package simengine
