// Package archtest holds the test that pins the layering of
// docs/architecture.md: which of the project's packages each package may
// import. A new package needs a line in its rule table.
package archtest
