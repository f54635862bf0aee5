package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactedHidesEverySecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		secrets []string
		want    map[string]string // variables whose redacted form is known
	}{
		{
			name:    "parts",
			env:     prodEnv(),
			secrets: []string{"db-secret-pw", "redis-secret-pw", "twilio-secret-token", "api-secret-key", testHash, testHash[7:]},
			want: map[string]string{
				"DATABASE_PASSWORD": "****", "REDIS_PASSWORD": "****", "TWILIO_AUTH_TOKEN": "****",
				"API_KEY": "****", "ADMIN_USERS": "alice:admin:****",
				"DATABASE_USERNAME": "app", "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
				"DATABASE_URL": "",
			},
		},
		{
			name: "URLs and several admins",
			env: with(prodEnv(), map[string]string{
				"DATABASE_USERNAME": "", "DATABASE_PASSWORD": "", "DATABASE_ADDRESS": "", "DATABASE_NAME": "",
				"DATABASE_URL": "postgres://app:" + "p%40ss%3Aw%2Frd%3F%23%25" + "@db:5432/salon?sslmode=require&password=pg-q-pw", "DATABASE_SSLMODE": "",
				"REDIS_HOST": "", "REDIS_PASSWORD": "", "REDIS_TLS": "",
				"REDIS_URL":   "rediss://default:redis-url-pw@cache:6380/0",
				"ADMIN_USERS": "alice:admin:" + testHash + ", bob:viewer:" + strings.Replace(testHash, "N9qo", "Zzzz", 1),
			}),
			secrets: []string{nastyPassword, "p%40ss", "p@ss", "redis-url-pw", "pg-q-pw", testHash[7:], "Zzzz"},
			want: map[string]string{
				"DATABASE_URL": "postgres://app:****@db:5432/salon?password=****&sslmode=require",
				"REDIS_URL":    "rediss://default:****@cache:6380/0",
				"ADMIN_USERS":  "alice:admin:****,bob:viewer:****",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			r := c.Redacted()
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c, "admins", c.Admins())
			outputs := map[string]string{
				"Redacted":     fmt.Sprint(r),
				"slog":         buf.String(),
				"AdminUser %v": fmt.Sprintf("%v %+v", c.Admins(), c.Admins()),
			}
			for what, out := range outputs {
				for _, s := range tt.secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s shows secret %q:\n%s", what, s, out)
					}
				}
			}
			for name, want := range tt.want {
				if r[name] != want {
					t.Errorf("Redacted()[%s] = %q, want %q", name, r[name], want)
				}
			}
			if len(r) != len(Describe()) {
				t.Errorf("Redacted() has %d variables, want all %d", len(r), len(Describe()))
			}
		})
	}
}

func TestRedactURLHidesWhatItCannotParse(t *testing.T) {
	t.Parallel()
	if got := redactURL("postgres://u:pa%zzss@h/db"); got != "****" {
		t.Errorf("redactURL of an unparsable URL = %q, want ****", got)
	}
}
