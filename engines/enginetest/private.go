package enginetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PrivatePostgres is a PostgreSQL cluster of the test's own — initdb in a
// temporary directory, a free port on 127.0.0.1 — for tests that must stop
// or restart the server (never the shared one other tests use). It returns
// the DSN of its "postgres" database and a function that restarts the
// server (fast shutdown, down for the given time, then start, waiting until
// it accepts connections; safe to call from another goroutine).
// The cluster is stopped and removed when the test ends. Where that is
// impossible (no initdb under /usr/lib/postgresql/*/bin, running as root
// without a postgres user) the test skips with the reason — except under
// CI=true, where it fails.
func PrivatePostgres(t testing.TB) (dsn string, restart func(down time.Duration) error) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		msg := "no private PostgreSQL cluster: " + fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		fail("no initdb under /usr/lib/postgresql/*/bin")
	}
	sort.Slice(bins, func(i, j int) bool { return pgMajor(bins[i]) < pgMajor(bins[j]) })
	bin := filepath.Dir(bins[len(bins)-1])
	// Not t.TempDir: its parent is private to this user, and the server
	// may run as another.
	dir, err := os.MkdirTemp("", "txbench-pg-")
	if err != nil {
		fail("%v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // runs after the stop below
	data := filepath.Join(dir, "data")
	// The server refuses to run as root: as root, the cluster belongs to
	// the postgres user and every command runs as it (runuser).
	var as []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			fail("running as root and there is no postgres user to run the server as (%v)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			fail("chown %s: %v", dir, err)
		}
		as = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(name string, args ...string) error {
		argv := append(append(as[:len(as):len(as)], filepath.Join(bin, name)), args...)
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", name, err, out)
		}
		return nil
	}
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync"); err != nil {
		fail("%v", err)
	}
	port, err := freePort()
	if err != nil {
		fail("no free port: %v", err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	start := func() error {
		return run("pg_ctl", "start", "-D", data, "-w", "-t", "30", "-l", filepath.Join(dir, "log"), "-o", opts)
	}
	if err := start(); err != nil {
		fail("%v", err)
	}
	t.Cleanup(func() {
		if err := run("pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"); err != nil {
			t.Errorf("stopping the private cluster: %v", err)
		}
	})
	dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres", port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		fail("the private cluster does not answer: %v", err)
	}
	c.Close(ctx)
	return dsn, func(down time.Duration) error {
		if err := run("pg_ctl", "stop", "-D", data, "-m", "fast", "-w"); err != nil {
			return fmt.Errorf("stopping the private cluster: %v", err)
		}
		time.Sleep(down)
		if err := start(); err != nil {
			return fmt.Errorf("starting the private cluster again: %v", err)
		}
		return nil
	}
}

// pgMajor is the major version in a /usr/lib/postgresql/N/bin path.
func pgMajor(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// freePort is a TCP port on 127.0.0.1 nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
