package pg

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// runSeq numbers the engines opened by one process, so that each run's
// connections carry an application_name of their own.
var runSeq atomic.Int64

// newAppName names one run's connections: the process id and a sequence
// number, e.g. "txbench-4242-1".
func newAppName(partition string) string {
	name := fmt.Sprintf("txbench-%d-%d", os.Getpid(), runSeq.Add(1))
	if partition != "" {
		// "txbench-4242-1-part-1/4": which part of a partitioned run.
		name += "-part-" + partition
	}
	return name
}

// AppName is the application_name every connection of this run carries.
func (e *Engine) AppName() string { return e.appName }

// KillConnections ends this run's own backends — those whose
// application_name is the run's — with pg_terminate_backend, from a
// separate connection; nothing else on the server is touched. It returns how
// many were ended. This is --fault kill-connections: it lets a user measure
// their driver-side recovery against their own database.
func (e *Engine) KillConnections(ctx context.Context) (int, error) {
	cc := e.pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["application_name"] = e.appName + "-killer"
	c, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return 0, fmt.Errorf("kill-connections: connecting: %s", redactErr(err, e.cfg.DSN))
	}
	defer c.Close(context.Background())
	var n int
	err = c.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
		FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, e.appName).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("kill-connections: %s", redactErr(err, e.cfg.DSN))
	}
	return n, nil
}
