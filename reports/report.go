package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode"
)

// Report is what one HTML report shows: runs side by side (one run, several
// engines, several seeds), or a sweep with its curves.
type Report struct {
	// Title heads the page; empty: made up from the runs.
	Title string
	Runs  []Run
	// Sweep, when set, makes this a sweep report: its curves and table come
	// first, and the per-run charts are left out (a sweep has too many runs
	// for them; `bench report` on chosen points gives the details).
	Sweep *Sweep
	// Validation, when set, makes this a `bench validate` report: the
	// figure table and the paper-vs-model chart, then the set-ups' summary
	// (their own charts are left out).
	Validation *Validation
}

// Charts renders every chart of the report, in the order the page shows
// them. Rendering runs in parallel; the output does not depend on it.
func (r *Report) Charts() ([]Chart, error) {
	if len(r.Runs) == 0 {
		return nil, errors.New("no results to report on")
	}
	var specs []chartSpec
	if r.Sweep != nil {
		specs = r.Sweep.charts()
	} else {
		specs = runCharts(r.Runs)
	}
	if r.Validation != nil {
		// Many set-ups: their own charts would bury the comparison (as
		// for a sweep); `bench report` on a set-up's file draws them.
		specs = []chartSpec{r.Validation.chart()}
	}
	charts := make([]Chart, len(specs))
	errs := make([]error, len(specs))
	work := make(chan int)
	var wg sync.WaitGroup
	// A few charts each get a goroutine, so that three charts on two cores
	// take one and a half charts' time, not two (the report is what a sweep
	// waits for after its last run); many share one per core, as each
	// holds an image of several megabytes while it renders.
	workers := runtime.GOMAXPROCS(0)
	if len(specs) <= 2*workers {
		workers = len(specs)
	}
	for range workers {
		wg.Go(func() {
			for i := range work {
				charts[i], errs[i] = renderSpec(specs[i])
			}
		})
	}
	for i := range specs {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return charts, nil
}

func renderSpec(s chartSpec) (Chart, error) {
	p, err := s.build()
	if err != nil {
		return Chart{}, fmt.Errorf("chart %s: %w", s.name, err)
	}
	h := s.height
	if h == 0 {
		h = chartHeight
	}
	png, err := render(p, chartWidth, h)
	if err != nil {
		return Chart{}, err
	}
	return Chart{Name: s.name, Title: s.title, Caption: s.caption, PNG: png, Width: cssPixels(chartWidth), Height: cssPixels(h)}, nil
}

// WritePNGs writes every chart to dir as NAME.png, creating dir if needed,
// and returns the paths written.
func WritePNGs(dir string, charts []Chart) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, c := range charts {
		p := filepath.Join(dir, c.Name+".png")
		if err := os.WriteFile(p, c.PNG, 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// WriteFile renders the report and writes it to path as one self-contained
// HTML file; with pngDir set, every chart also goes there as a PNG. It
// returns the PNG paths written.
func (r *Report) WriteFile(path, pngDir string) ([]string, error) {
	charts, err := r.Charts()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := r.WriteHTML(&b, charts); err != nil {
		return nil, err
	}
	if err := writeAtomic(path, []byte(b.String())); err != nil {
		return nil, err
	}
	if pngDir == "" {
		return nil, nil
	}
	return WritePNGs(pngDir, charts)
}

// writeAtomic writes data to a temporary file next to path and renames it
// into place, so an interrupted write never leaves half a report.
func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// fileSafe turns a label into a file-name fragment: lower case letters,
// digits, dots and dashes.
func fileSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '.' || c == '_'):
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}
