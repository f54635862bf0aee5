package config

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// nastyPassword holds every character a URL gives a meaning to.
const nastyPassword = "p@ss:w/rd?#%"

func TestDatabaseURLRoundTripsThroughPgx(t *testing.T) {
	t.Parallel()
	type conn struct {
		User, Password, Host, Database string
		Port                           uint16
	}
	tests := []struct {
		name string
		env  map[string]string
		want conn
	}{
		{
			name: "parts with a password full of URL syntax",
			env: map[string]string{"DATABASE_USERNAME": "app user", "DATABASE_PASSWORD": nastyPassword,
				"DATABASE_ADDRESS": "db.internal", "DATABASE_PORT": "6432", "DATABASE_NAME": "salon-db"},
			want: conn{User: "app user", Password: nastyPassword, Host: "db.internal", Port: 6432, Database: "salon-db"},
		},
		{
			name: "IPv6 address and a database name with a slash and space",
			env: map[string]string{"DATABASE_USERNAME": "u", "DATABASE_PASSWORD": "%25 +&=",
				"DATABASE_ADDRESS": "::1", "DATABASE_NAME": "a/b c"},
			want: conn{User: "u", Password: "%25 +&=", Host: "::1", Port: 5432, Database: "a/b c"},
		},
		{
			name: "DATABASE_URL as given",
			env:  map[string]string{"DATABASE_URL": "postgresql://app:p%40ss@rds.example.com:5433/salon"},
			want: conn{User: "app", Password: "p@ss", Host: "rds.example.com", Port: 5433, Database: "salon"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(with(tt.env, map[string]string{"APP_ENV": "test", "DATABASE_SSLMODE": "disable"})))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			pc, err := pgx.ParseConfig(c.DatabaseURL())
			if err != nil {
				t.Fatalf("pgx.ParseConfig: %v", err)
			}
			got := conn{User: pc.User, Password: pc.Password, Host: pc.Host, Port: pc.Port, Database: pc.Database}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pgx reads back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDatabaseURLAddsTLSParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want url.Values
	}{
		{name: "parts", env: map[string]string{"DATABASE_ADDRESS": "h", "DATABASE_USERNAME": "u", "DATABASE_NAME": "d",
			"DATABASE_SSLMODE": "verify-full", "DATABASE_SSLROOTCERT": "/certs/rds global.pem"},
			want: url.Values{"sslmode": {"verify-full"}, "sslrootcert": {"/certs/rds global.pem"}}},
		{name: "URL lacking them", env: map[string]string{"DATABASE_URL": "postgres://u@h/d?application_name=jobs",
			"DATABASE_SSLMODE": "verify-ca", "DATABASE_SSLROOTCERT": "/certs/ca.pem"},
			want: url.Values{"application_name": {"jobs"}, "sslmode": {"verify-ca"}, "sslrootcert": {"/certs/ca.pem"}}},
		{name: "URL that has them", env: map[string]string{"DATABASE_URL": "postgres://u@h/d?sslmode=require"},
			want: url.Values{"sslmode": {"require"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(with(tt.env, map[string]string{"APP_ENV": "test"})))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			u, err := url.Parse(c.DatabaseURL())
			if err != nil {
				t.Fatalf("parse %q: %v", c.DatabaseURL(), err)
			}
			if diff := cmp.Diff(tt.want, u.Query()); diff != "" {
				t.Errorf("query of %q (-want +got):\n%s", c.DatabaseURL(), diff)
			}
		})
	}
}

// adminDatabaseURL is the local Postgres superuser (trust auth on these
// machines).
func adminDatabaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// TestDatabaseURLConnects logs in to the real server as a role whose name
// and password need escaping. The local server trusts 127.0.0.1, so the
// login alone proves the user, host, port and database; the password is
// proved by recomputing the server's stored SCRAM verifier from the
// password pgx reads out of the URL.
func TestDatabaseURLConnects(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminDatabaseURL())
	if err != nil {
		t.Fatalf("connect to the test Postgres (start it, or set TEST_DATABASE_URL): %v", err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })

	role := fmt.Sprintf("app user %d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'",
		pgx.Identifier{role}.Sanitize(), strings.ReplaceAll(nastyPassword, "'", "''"))); err != nil {
		t.Fatalf("create role: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})

	pc, err := pgx.ParseConfig(adminDatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{
		"APP_ENV": "test", "DATABASE_USERNAME": role, "DATABASE_PASSWORD": nastyPassword,
		"DATABASE_ADDRESS": pc.Host, "DATABASE_PORT": strconv.Itoa(int(pc.Port)),
		"DATABASE_NAME": pc.Database, "DATABASE_SSLMODE": "disable",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	conn, err := pgx.Connect(ctx, c.DatabaseURL())
	if err != nil {
		t.Fatalf("connect with the built URL: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	var user, db string
	if err := conn.QueryRow(ctx, "SELECT current_user, current_database()").Scan(&user, &db); err != nil {
		t.Fatalf("query: %v", err)
	}
	if user != role || db != pc.Database {
		t.Errorf("connected as %q to %q, want %q to %q", user, db, role, pc.Database)
	}

	var stored string
	if err := admin.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&stored); err != nil {
		t.Fatalf("read the stored verifier: %v", err)
	}
	if err := scramMatches(stored, conn.Config().Password); err != nil {
		t.Errorf("the password in the built URL is not the role's password: %v", err)
	}
}

// scramMatches checks password against a PostgreSQL SCRAM-SHA-256 verifier,
// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (RFC 5802;
// an ASCII password needs no SASLprep).
func scramMatches(stored, password string) error {
	rest, ok := strings.CutPrefix(stored, "SCRAM-SHA-256$")
	iterSalt, keys, ok2 := strings.Cut(rest, "$")
	iterations, saltB64, ok3 := strings.Cut(iterSalt, ":")
	storedKeyB64, serverKeyB64, ok4 := strings.Cut(keys, ":")
	if !ok || !ok2 || !ok3 || !ok4 {
		return fmt.Errorf("verifier is not SCRAM-SHA-256 (password_encryption?)")
	}
	iter, err := strconv.Atoi(iterations)
	if err != nil {
		return fmt.Errorf("iterations: %w", err)
	}
	salt, err := base64.StdEncoding.DecodeString(saltB64)
	if err != nil {
		return fmt.Errorf("salt: %w", err)
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return err
	}
	mac := func(msg string) []byte {
		h := hmac.New(sha256.New, salted)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	storedKey := sha256.Sum256(mac("Client Key"))
	if base64.StdEncoding.EncodeToString(storedKey[:]) != storedKeyB64 ||
		base64.StdEncoding.EncodeToString(mac("Server Key")) != serverKeyB64 {
		return fmt.Errorf("SCRAM keys differ")
	}
	return nil
}

func TestURLWithUnescapedHashRefused(t *testing.T) {
	for _, tt := range []struct{ name, variable, value string }{
		{"database", "DATABASE_URL", "postgres://app:2024#Secure@db.internal/jobs"},
		{"redis", "REDIS_URL", "redis://:2024#Secure@cache.internal:6379/0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"APP_ENV": "test", tt.variable: tt.value}
			_, err := Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if err == nil || !strings.Contains(err.Error(), tt.variable+`: holds a "#"`) {
				t.Fatalf("Load() = %v, want %s refused for its #", err, tt.variable)
			}
			if strings.Contains(err.Error(), "Secure") {
				t.Errorf("error quotes the password: %v", err)
			}
		})
	}
}
