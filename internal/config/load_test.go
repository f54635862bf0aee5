package config

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testHash is a well-formed bcrypt hash (of "password"); this package
// never checks it against a password.
const testHash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

// env is a map-backed lookup; tests never touch the process environment.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// prodEnv is a complete, valid production environment.
func prodEnv() map[string]string {
	return map[string]string{
		"DATABASE_ADDRESS":             "db.internal",
		"DATABASE_USERNAME":            "app",
		"DATABASE_PASSWORD":            "db-secret-pw",
		"DATABASE_NAME":                "salon",
		"DATABASE_SSLMODE":             "verify-full",
		"REDIS_HOST":                   "cache.internal",
		"REDIS_TLS":                    "true",
		"REDIS_PASSWORD":               "redis-secret-pw",
		"SMS_PROVIDER":                 "twilio",
		"TWILIO_ACCOUNT_SID":           "AC0123456789abcdef0123456789abcdef",
		"TWILIO_AUTH_TOKEN":            "twilio-secret-token",
		"TWILIO_MESSAGING_SERVICE_SID": "MG0123456789abcdef0123456789abcdef",
		"PUBLIC_BASE_URL":              "https://jobs.example.com",
		"EMAIL_PROVIDER":               "ses",
		"EMAIL_FROM":                   "Salon <no-reply@example.com>",
		"STORAGE":                      "s3",
		"S3_BUCKET":                    "salon-uploads",
		"API_BASE_URL":                 "https://api.example.com",
		"API_KEY":                      "api-secret-key",
		"ADMIN_USERS":                  "alice:admin:" + testHash,
	}
}

// with returns base with overrides applied; "" unsets a variable.
func with(base, overrides map[string]string) map[string]string {
	m := maps.Clone(base)
	for k, v := range overrides {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// asError returns err as *Error, failing the test when it is not one.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load error = %v (%T), want *Error", err, err)
	}
	return ce
}

func TestLoadEmptyProductionNamesEveryRequiredVariable(t *testing.T) {
	t.Parallel()
	_, err := Load(env(nil))
	ce := asError(t, err)
	want := []Problem{
		{"DATABASE_ADDRESS", "required (or set DATABASE_URL)"},
		{"DATABASE_NAME", "required (or set DATABASE_URL)"},
		{"DATABASE_USERNAME", "required (or set DATABASE_URL)"},
		{"EMAIL_PROVIDER", "required in production (ses, or log with ALLOW_LOG_PROVIDERS=true)"},
		{"REDIS_HOST", "required (or set REDIS_URL)"},
		{"SMS_PROVIDER", "required in production (twilio, or log with ALLOW_LOG_PROVIDERS=true)"},
		{"STORAGE", "required in production (s3, or local with ALLOW_LOG_PROVIDERS=true)"},
	}
	if diff := cmp.Diff(want, ce.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(err.Error(), "invalid configuration: DATABASE_ADDRESS: required") ||
		!strings.Contains(err.Error(), "; SMS_PROVIDER: required in production (twilio, or log with ALLOW_LOG_PROVIDERS=true); ") {
		t.Errorf("Error() = %q, want every problem joined in one line", err)
	}
}

func TestLoadReportsEveryParseErrorAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "one of each type",
			env: map[string]string{
				"SHUTDOWN_TIMEOUT": "abc", "REDIS_DB": "x", "REDIS_TLS": "maybe",
				"SMS_RATE_PER_SECOND": "fast", "DATABASE_PORT": "5432a", "ALLOW_LOG_PROVIDERS": "yes",
			},
			want: []string{"ALLOW_LOG_PROVIDERS", "DATABASE_PORT", "REDIS_DB", "REDIS_TLS", "SHUTDOWN_TIMEOUT", "SMS_RATE_PER_SECOND"},
		},
		{
			name: "parse errors next to validation errors",
			env:  map[string]string{"SHUTDOWN_TIMEOUT": "10", "LOG_LEVEL": "verbose", "REDIS_PORT": "six", "WORKER_QUEUES": "sms,fax"},
			want: []string{"LOG_LEVEL", "REDIS_PORT", "SHUTDOWN_TIMEOUT", "WORKER_QUEUES"},
		},
		{
			name: "not a number at all",
			env:  map[string]string{"SMS_RATE_PER_SECOND": "NaN"},
			want: []string{"SMS_RATE_PER_SECOND"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(env(with(map[string]string{"APP_ENV": "development"}, tt.env)))
			ce := asError(t, err)
			if diff := cmp.Diff(tt.want, ce.Vars()); diff != "" {
				t.Errorf("offending variables (-want +got):\n%s\n%v", diff, err)
			}
			// One problem per variable: a bad value is not reported again
			// by the rules that would read it.
			if len(ce.Problems) != len(tt.want) {
				t.Errorf("got %d problems, want %d: %v", len(ce.Problems), len(tt.want), err)
			}
		})
	}
}

func TestLoadDevelopmentDefaults(t *testing.T) {
	t.Parallel()
	for _, appEnv := range []string{"development", "test"} {
		t.Run(appEnv, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(map[string]string{"APP_ENV": appEnv}))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := map[string]any{
				"DatabaseURL":     c.DatabaseURL(),
				"RedisAddr":       c.RedisOptions().Addr,
				"RedisTLS":        c.RedisOptions().TLSConfig != nil,
				"Providers":       []string{c.SMSProvider, c.EmailProvider, c.Storage},
				"ShutdownTimeout": c.ShutdownTimeout,
				"Queues":          len(c.Queues()),
				"Window":          c.SMSWindow(),
				"Development":     c.Development(),
				"ConsumerGroup":   c.RedisStreamConsumerGroup,
			}
			want := map[string]any{
				"DatabaseURL":     "postgres://postgres@127.0.0.1:5432/jobs?sslmode=disable",
				"RedisAddr":       "127.0.0.1:6379",
				"RedisTLS":        false,
				"Providers":       []string{"log", "log", "local"},
				"ShutdownTimeout": 30 * time.Second,
				"Queues":          6, // the five and the internal sms_bulk
				"Window":          Window{Start: 8 * time.Hour, End: 21 * time.Hour},
				"Development":     true,
				"ConsumerGroup":   "jobs-workers",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("development defaults (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadDevelopmentDefaultsGiveWayToGivenValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		wantDB    string
		wantRedis string
	}{
		{
			name:      "DATABASE_URL replaces every database default",
			env:       map[string]string{"DATABASE_URL": "postgres://u@db:6543/x"},
			wantDB:    "postgres://u@db:6543/x",
			wantRedis: "127.0.0.1:6379",
		},
		{
			name:      "a given database name keeps the other defaults",
			env:       map[string]string{"DATABASE_NAME": "other", "REDIS_URL": "redis://cache:6380/2"},
			wantDB:    "postgres://postgres@127.0.0.1:5432/other?sslmode=disable",
			wantRedis: "cache:6380",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(with(map[string]string{"APP_ENV": "development"}, tt.env)))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.DatabaseURL(); got != tt.wantDB {
				t.Errorf("DatabaseURL() = %q, want %q", got, tt.wantDB)
			}
			if got := c.RedisOptions().Addr; got != tt.wantRedis {
				t.Errorf("redis Addr = %q, want %q", got, tt.wantRedis)
			}
		})
	}
}

func TestLoadValidProduction(t *testing.T) {
	t.Parallel()
	c, err := Load(env(prodEnv()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Development() || c.AppEnv != "production" {
		t.Errorf("AppEnv = %q, Development() = %v; want production", c.AppEnv, c.Development())
	}
	if diff := cmp.Diff([]AdminUser{{Name: "alice", Role: RoleAdmin, Hash: testHash}}, c.Admins()); diff != "" {
		t.Errorf("Admins() (-want +got):\n%s", diff)
	}
	if err := ValidateAdmin(c); err != nil {
		t.Errorf("ValidateAdmin: %v", err)
	}
}
