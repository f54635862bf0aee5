// Package postgres holds the daemon's PostgreSQL plumbing: the connection
// pool, the embedded schema migrations, and the documented demo data.
//
// Migrations never name a schema. Every object lands in the first schema of
// the connection's search_path (public in production), which is how each test
// gets a schema of its own.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Connect opens a pool on the database at url (a postgres:// URL or a
// keyword/value string) and pings it, so a wrong address or credential fails
// here rather than at the first query. Errors never contain the password.
// Each configure function adjusts the parsed configuration first (a query
// tracer).
func Connect(ctx context.Context, url string, configure ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, redact(fmt.Errorf("parse database url: %w", err), url)
	}
	for _, f := range configure {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, redact(fmt.Errorf("connect to postgres: %w", err), url)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, redact(fmt.Errorf("connect to postgres: %w", err), url)
	}
	return pool, nil
}

// parseConfig parses url for database/sql, with the password kept out of
// any error.
func parseConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, redact(fmt.Errorf("parse database url: %w", err), url)
	}
	return cfg, nil
}

// redactedError carries an error whose text has had the connection
// string's password masked, and still unwraps to the original for errors.Is
// and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// errMalformedURL replaces pgx's error for a URL whose userinfo holds an
// unescaped '@' or '/': pgx then takes part of the password for the host,
// so its message would print it, and no masking can tell which part.
var errMalformedURL = errors.New("malformed database URL: percent-encode reserved characters such as @ and / in the user name and password")

// redact masks every spelling of connString's password in err's text. pgx
// already redacts what it recognizes, but only on a best-effort basis for a
// string it could not parse, and such a string is exactly the one that ends
// up in an error; so this does not trust it.
func redact(err error, connString string) error {
	if err == nil {
		return nil
	}
	if _, malformed := urlPassword(connString); malformed {
		return errMalformedURL
	}
	msg := err.Error()
	for _, pw := range passwords(connString) {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return &redactedError{msg: msg, err: err}
}

// urlPassword returns the password of a URL-form connection string, taking
// everything between the first ':' of the userinfo and the last '@' before
// the query, as a reader would. malformed reports a userinfo that pgx would
// cut elsewhere.
func urlPassword(connString string) (password string, malformed bool) {
	_, rest, ok := strings.Cut(connString, "://")
	if !ok {
		return "", false
	}
	rest, _, _ = strings.Cut(rest, "?")
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", false
	}
	userinfo := rest[:at]
	malformed = strings.ContainsAny(userinfo, "@/")
	_, password, _ = strings.Cut(userinfo, ":")
	return password, malformed
}

// passwordKV finds password and sslpassword settings, in keyword/value
// strings and in URL queries.
var passwordKV = regexp.MustCompile(`(?i)(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]*)`)

// passwords returns every form in which connString's passwords could appear
// in an error message: raw, percent-decoded, and what pgx parsed, longest
// first so a password that contains another is masked whole.
func passwords(connString string) []string {
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.Trim(s, "'")
		if s == "" || s == "xxxxx" {
			return
		}
		seen[s] = true
		if u, err := url.PathUnescape(s); err == nil {
			seen[u] = true
		}
		if u, err := url.QueryUnescape(s); err == nil {
			seen[u] = true
		}
	}
	if pw, _ := urlPassword(connString); pw != "" {
		add(pw)
	}
	for _, m := range passwordKV.FindAllStringSubmatch(connString, -1) {
		add(m[1])
	}
	if cfg, err := pgconn.ParseConfig(connString); err == nil {
		add(cfg.Password) // may also come from PGPASSWORD or a passfile
	}
	out := slices.Collect(maps.Keys(seen))
	// Longest first: masking "abc" before "abcdef" would leave "def".
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}
