//go:build !linux

package runner

// reserveHugePages is Linux-only (hugepages_linux.go).
func reserveHugePages(int64) {}
