//go:build !linux

package runner

// reserveHugePages is Linux-only (hugepages_linux.go); elsewhere it only
// checks TXBENCH_HUGEPAGES.
func reserveHugePages(int64) error {
	_, err := hugePagesAllowed()
	return err
}
