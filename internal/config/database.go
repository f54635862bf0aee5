package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// databaseParts are the variables DATABASE_URL replaces. DATABASE_SSLMODE
// and DATABASE_SSLROOTCERT are not among them: they may complete a URL.
var databaseParts = []string{"DATABASE_USERNAME", "DATABASE_PASSWORD", "DATABASE_ADDRESS", "DATABASE_PORT", "DATABASE_NAME"}

func (l *loader) validateDatabase(c *Config) {
	if c.DatabaseSSLMode != "" {
		if m := oneOf(c.DatabaseSSLMode, sslModes...); m != "" {
			l.add("DATABASE_SSLMODE", m)
		}
	}
	if c.DatabaseSSLRootCert != "" && c.DatabaseSSLMode == "disable" {
		l.add("DATABASE_SSLROOTCERT", "has no effect with DATABASE_SSLMODE=disable")
	}
	if c.RawDatabaseURL != "" {
		l.validateDatabaseURL(c)
		return
	}
	for name, v := range map[string]string{
		"DATABASE_ADDRESS":  c.DatabaseAddress,
		"DATABASE_USERNAME": c.DatabaseUsername,
		"DATABASE_NAME":     c.DatabaseName,
	} {
		if v == "" {
			l.add(name, "required (or set DATABASE_URL)")
		}
	}
	l.checkHost("DATABASE_ADDRESS", c.DatabaseAddress, "DATABASE_PORT")
	l.checkPort("DATABASE_PORT", c.DatabasePort)
}

func (l *loader) validateDatabaseURL(c *Config) {
	var also []string
	for _, name := range databaseParts {
		if l.set[name] {
			also = append(also, name)
		}
	}
	if len(also) > 0 {
		l.add("DATABASE_URL", fmt.Sprintf("set DATABASE_URL or the DATABASE_* parts, not both (also set: %s)", strings.Join(also, ", ")))
	}
	u, msg := parsePostgresURL(c.RawDatabaseURL)
	if msg != "" {
		l.add("DATABASE_URL", msg)
		return
	}
	if p, ok := u.User.Password(); ok {
		l.secret(p, url.QueryEscape(p), url.PathEscape(p))
	}
	l.secret(u.Query().Get("password"))
	q := u.Query()
	if m := q.Get("sslmode"); m != "" && c.DatabaseSSLMode != "" && m != c.DatabaseSSLMode {
		l.add("DATABASE_SSLMODE", fmt.Sprintf("DATABASE_URL already sets sslmode=%s", m))
	}
	if r := q.Get("sslrootcert"); r != "" && c.DatabaseSSLRootCert != "" && r != c.DatabaseSSLRootCert {
		l.add("DATABASE_SSLROOTCERT", "DATABASE_URL already sets sslrootcert")
	}
}

// parsePostgresURL parses DATABASE_URL. Its messages never quote the URL,
// which holds the password.
func parsePostgresURL(s string) (*url.URL, string) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, "not a valid URL (percent-encode special characters in the password, or use the DATABASE_* parts)"
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, "must start with postgres:// or postgresql://"
	}
	if strings.Contains(s, "#") {
		// A "#" ends the URL: an unescaped one in the password would cut it
		// and turn its first half into the host.
		return nil, `holds a "#": percent-encode it as %23 (in a password too), or use the DATABASE_* parts`
	}
	return u, ""
}

// DatabaseURL returns the Postgres connection URL for pgx: DATABASE_URL as
// given, or one built from the DATABASE_* parts with every part escaped, so
// any password survives. DATABASE_SSLMODE and DATABASE_SSLROOTCERT are added
// as sslmode and sslrootcert when the URL lacks them.
func (c *Config) DatabaseURL() string {
	if c.RawDatabaseURL != "" {
		u, msg := parsePostgresURL(c.RawDatabaseURL)
		if msg != "" {
			return c.RawDatabaseURL // Load refuses it; pgx will too.
		}
		q := u.Query()
		changed := addParam(q, "sslmode", c.DatabaseSSLMode)
		changed = addParam(q, "sslrootcert", c.DatabaseSSLRootCert) || changed
		if !changed {
			return c.RawDatabaseURL
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	u := url.URL{
		Scheme: "postgres",
		Host:   net.JoinHostPort(c.DatabaseAddress, strconv.Itoa(c.DatabasePort)),
		Path:   "/" + c.DatabaseName,
	}
	switch {
	case c.DatabasePassword != "":
		u.User = url.UserPassword(c.DatabaseUsername, c.DatabasePassword)
	case c.DatabaseUsername != "":
		u.User = url.User(c.DatabaseUsername)
	}
	q := url.Values{}
	addParam(q, "sslmode", c.DatabaseSSLMode)
	addParam(q, "sslrootcert", c.DatabaseSSLRootCert)
	u.RawQuery = q.Encode()
	return u.String()
}

// addParam sets q[key] to value when value is set and q has no key yet.
func addParam(q url.Values, key, value string) bool {
	if value == "" || q.Has(key) {
		return false
	}
	q.Set(key, value)
	return true
}
