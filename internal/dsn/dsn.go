// Package dsn redacts secrets from database connection strings.
package dsn

import (
	"net/url"
	"regexp"
	"strings"
)

var KVPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Redact returns the DSN with any password replaced by "xxxxx", in both the
// URL form (postgres://user:secret@host/db, ?password=secret) and the
// keyword/value form (host=h password=secret). It is what logs, results and
// reports show; the password itself never leaves the connection config.
func Redact(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// Unparseable URL: show nothing that could be a secret.
			return "postgres://(unparseable DSN, redacted)"
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			}
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return KVPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

// SecretAnnotation marks a flag whose value is a connection string: tools
// that record options (results files, reports) store only Redact(value).
const SecretAnnotation = "txbench/secret-dsn"
