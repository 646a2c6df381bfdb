// Package reports turns results files into what people read and what CI
// acts on: a self-contained HTML report with PNG charts (one run, several
// engines side by side, or a parameter sweep), the orchestration behind
// `bench compare` and `bench sweep`, and the performance gate behind
// `bench gate`.
//
// Everything here reads results through runner.ReadResult, so a truncated,
// corrupt or foreign file is refused with a one-line error naming it, and
// nothing here depends on which engines exist: a report shows whatever the
// results files hold, and merged results (same schema) work like any other.
//
// Output is deterministic: the same results files give the same HTML and
// the same PNGs byte for byte, so reports can be diffed and golden-tested.
package reports
