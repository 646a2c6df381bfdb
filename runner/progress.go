package runner

import (
	"fmt"
	"time"
)

// progressLine describes the last finished interval of a wall-time run:
// throughput, latency percentiles and aborts, one line per interval.
func (r *Recorder) progressLine(now time.Duration, commits int64) string {
	i := int(now/r.interval) - 1
	var b timelineBucket
	if i >= 0 && i < len(r.timeline) {
		b = r.timeline[i]
		if i == r.cur { // the bucket is still open: percentiles so far
			b.p50, b.p99 = r.curHist.ValueAtQuantile(50), r.curHist.ValueAtQuantile(99)
		}
	}
	phase := ""
	if now <= r.warmup {
		phase = " (warmup)"
	}
	return fmt.Sprintf("%7s  %8.0f tps  p50 %7.2f ms  p99 %7.2f ms  aborted %d  failed %d%s",
		now.Round(time.Second), float64(commits)/r.interval.Seconds(),
		float64(b.p50)/1000, float64(b.p99)/1000, b.aborted, b.failed, phase)
}
