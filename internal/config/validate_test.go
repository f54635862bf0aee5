package config

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadValidation(t *testing.T) {
	t.Parallel()
	dev := map[string]string{"APP_ENV": "development"}
	tests := []struct {
		name string
		base map[string]string
		env  map[string]string
		want map[string]string // offending variable → part of its message; nil: valid
	}{
		{name: "production refuses log providers",
			env: map[string]string{"SMS_PROVIDER": "log", "EMAIL_PROVIDER": "log", "STORAGE": "local"},
			want: map[string]string{
				"SMS_PROVIDER":   "log is refused in production unless ALLOW_LOG_PROVIDERS=true",
				"EMAIL_PROVIDER": "log is refused in production unless ALLOW_LOG_PROVIDERS=true",
				"STORAGE":        "local is refused in production unless ALLOW_LOG_PROVIDERS=true",
			}},
		{name: "production allows log providers when told",
			env: map[string]string{"SMS_PROVIDER": "log", "EMAIL_PROVIDER": "log", "STORAGE": "local", "ALLOW_LOG_PROVIDERS": "true"}},
		{name: "staging refuses log providers too",
			env:  map[string]string{"APP_ENV": "staging", "SMS_PROVIDER": "log"},
			want: map[string]string{"SMS_PROVIDER": "refused in staging"}},
		{name: "development takes log providers",
			base: dev, env: map[string]string{"SMS_PROVIDER": "log"}},
		{name: "unknown provider",
			env:  map[string]string{"SMS_PROVIDER": "sns"},
			want: map[string]string{"SMS_PROVIDER": `"sns" is not twilio or log`}},
		{name: "twilio without credentials or sender",
			env: map[string]string{"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_MESSAGING_SERVICE_SID": "", "PUBLIC_BASE_URL": ""},
			want: map[string]string{
				"TWILIO_ACCOUNT_SID":           "required when SMS_PROVIDER=twilio",
				"TWILIO_AUTH_TOKEN":            "required when SMS_PROVIDER=twilio",
				"TWILIO_MESSAGING_SERVICE_SID": "or set TWILIO_FROM",
				"PUBLIC_BASE_URL":              "required in production when SMS_PROVIDER=twilio",
			}},
		{name: "twilio with a from number instead of a service",
			env: map[string]string{"TWILIO_MESSAGING_SERVICE_SID": "", "TWILIO_FROM": "+15551234567"}},
		{name: "twilio values of the wrong shape",
			env: map[string]string{"TWILIO_ACCOUNT_SID": "SK123", "TWILIO_FROM": "555-1234", "TWILIO_API_BASE": "api.twilio.com"},
			want: map[string]string{
				"TWILIO_ACCOUNT_SID": "does not start with AC",
				"TWILIO_FROM":        "is not an E.164 number",
				"TWILIO_API_BASE":    "not an absolute http(s) URL",
			}},
		{name: "ses without sender", env: map[string]string{"EMAIL_FROM": ""},
			want: map[string]string{"EMAIL_FROM": "required when EMAIL_PROVIDER=ses"}},
		{name: "bad sender", env: map[string]string{"EMAIL_FROM": "no-reply at example"},
			want: map[string]string{"EMAIL_FROM": "not an email address"}},
		{name: "SES events topic and certificate hosts", env: map[string]string{"SES_EVENTS_TOPIC_ARN": "ses-events", "SES_EVENTS_CERT_HOSTS": "127.0.0.1"},
			want: map[string]string{
				"SES_EVENTS_TOPIC_ARN":  "is not an SNS topic ARN",
				"SES_EVENTS_CERT_HOSTS": "only development and test may change it; production must use sns.*.amazonaws.com",
			}},
		{name: "SES events certificate hosts replaced in development", base: dev,
			env: map[string]string{"SES_EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:ses-events", "SES_EVENTS_CERT_HOSTS": "127.0.0.1"}},
		{name: "SES events certificate hosts not a pattern", base: dev, env: map[string]string{"SES_EVENTS_CERT_HOSTS": "https://sns.*"},
			want: map[string]string{"SES_EVENTS_CERT_HOSTS": "is not a host name pattern"}},
		{name: "s3 without bucket", env: map[string]string{"S3_BUCKET": ""},
			want: map[string]string{"S3_BUCKET": "required when STORAGE=s3"}},
		{name: "bucket given as a URL", env: map[string]string{"S3_BUCKET": "s3://salon-uploads"},
			want: map[string]string{"S3_BUCKET": "not a bucket name"}},
		{name: "API_BASE_URL without key", env: map[string]string{"API_KEY": ""},
			want: map[string]string{"API_KEY": "required in production when API_BASE_URL is set"}},
		{name: "DATABASE_URL and parts together",
			env:  map[string]string{"DATABASE_URL": "postgres://u:p@h/db"},
			want: map[string]string{"DATABASE_URL": "set DATABASE_URL or the DATABASE_* parts, not both (also set: DATABASE_USERNAME, DATABASE_PASSWORD, DATABASE_ADDRESS, DATABASE_NAME)"}},
		{name: "DATABASE_URL with only the TLS parts",
			env: map[string]string{"DATABASE_URL": "postgres://u:p@h/db", "DATABASE_USERNAME": "", "DATABASE_PASSWORD": "", "DATABASE_ADDRESS": "", "DATABASE_NAME": "", "DATABASE_SSLROOTCERT": "/etc/rds.pem"}},
		{name: "DATABASE_URL contradicting DATABASE_SSLMODE",
			base: dev, env: map[string]string{"DATABASE_URL": "postgres://h/db?sslmode=require", "DATABASE_SSLMODE": "verify-full"},
			want: map[string]string{"DATABASE_SSLMODE": "DATABASE_URL already sets sslmode=require"}},
		{name: "DATABASE_URL of another database",
			base: dev, env: map[string]string{"DATABASE_URL": "mysql://u@h/db"},
			want: map[string]string{"DATABASE_URL": "must start with postgres:// or postgresql://"}},
		{name: "DATABASE_ADDRESS with a port and bad sslmode",
			base: dev, env: map[string]string{"DATABASE_ADDRESS": "db.internal:5432", "DATABASE_SSLMODE": "on", "DATABASE_PORT": "70000",
				"DATABASE_USERNAME": "app", "DATABASE_NAME": "salon"},
			want: map[string]string{"DATABASE_ADDRESS": "the port goes in DATABASE_PORT", "DATABASE_SSLMODE": `"on" is not one of`, "DATABASE_PORT": "is not a port"}},
		{name: "DATABASE_ADDRESS set in development needs the other parts",
			base: dev, env: map[string]string{"DATABASE_ADDRESS": "db.local"},
			want: map[string]string{"DATABASE_USERNAME": "required", "DATABASE_NAME": "required"}},
		{name: "REDIS_URL and parts together",
			env:  map[string]string{"REDIS_URL": "rediss://cache:6379"},
			want: map[string]string{"REDIS_URL": "not both (also set: REDIS_HOST, REDIS_PASSWORD, REDIS_TLS)"}},
		{name: "REDIS_URL of the wrong scheme",
			base: dev, env: map[string]string{"REDIS_URL": "http://cache:6379"},
			want: map[string]string{"REDIS_URL": "must start with redis:// or rediss://"}},
		{name: "REDIS_URL database out of range",
			base: dev, env: map[string]string{"REDIS_URL": "redis://cache:6379/16"},
			want: map[string]string{"REDIS_URL": "database 16 is not from 0 to 15"}},
		{name: "REDIS_DB out of range", base: dev, env: map[string]string{"REDIS_DB": "16"},
			want: map[string]string{"REDIS_DB": "16 is not a database from 0 to 15"}},
		{name: "shutdown timeout past ECS's limit", base: dev, env: map[string]string{"SHUTDOWN_TIMEOUT": "2m"},
			want: map[string]string{"SHUTDOWN_TIMEOUT": "2m0s is over 1m50s"}},
		{name: "shutdown timeout at the limit", base: dev, env: map[string]string{"SHUTDOWN_TIMEOUT": "110s"}},
		{name: "zero shutdown timeout", base: dev, env: map[string]string{"SHUTDOWN_TIMEOUT": "0s"},
			want: map[string]string{"SHUTDOWN_TIMEOUT": "must be positive"}},
		{name: "process values", base: dev,
			env: map[string]string{"APP_ENV": "prod", "HTTP_ADDR": "8080", "LOG_FORMAT": "xml", "WORKER_QUEUES": "sms,sms"},
			want: map[string]string{
				"APP_ENV":       `"prod" is not one of production, staging, development, test`,
				"HTTP_ADDR":     "is not host:port",
				"LOG_FORMAT":    `"xml" is not one of json, text`,
				"WORKER_QUEUES": `queue "sms" listed twice`,
				// An unknown APP_ENV is held to production's rules.
				"SMS_PROVIDER": "required in production", "EMAIL_PROVIDER": "required in production",
				"STORAGE": "required in production", "DATABASE_ADDRESS": "required", "DATABASE_USERNAME": "required",
				"DATABASE_NAME": "required", "REDIS_HOST": "required",
			}},
		{name: "quiet hours and rate", base: dev, env: map[string]string{"SMS_QUIET_HOURS": "8-21", "SMS_RATE_PER_SECOND": "0"},
			want: map[string]string{"SMS_QUIET_HOURS": "is not HH:MM-HH:MM", "SMS_RATE_PER_SECOND": "must be above 0"}},
		{name: "public base URL with a path", env: map[string]string{"PUBLIC_BASE_URL": "https://jobs.example.com/app"},
			want: map[string]string{"PUBLIC_BASE_URL": "is not an origin"}},
		{name: "admin users of the wrong shape", base: dev,
			env:  map[string]string{"ADMIN_USERS": "bob:root:" + testHash, "PROMETHEUS_URL": "prometheus:9090"},
			want: map[string]string{"ADMIN_USERS": `role "root" is not admin or viewer`, "PROMETHEUS_URL": "not an absolute http(s) URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := tt.base
			if base == nil {
				base = prodEnv()
			}
			c, err := Load(env(with(base, tt.env)))
			if tt.want == nil {
				if err != nil || c == nil {
					t.Fatalf("Load = %v, %v; want a valid config", c, err)
				}
				return
			}
			if c != nil {
				t.Errorf("Load returned a config along with its error")
			}
			ce := asError(t, err)
			var wantVars []string
			for v := range tt.want {
				wantVars = append(wantVars, v)
			}
			slices.Sort(wantVars)
			if got := ce.Vars(); !slices.Equal(got, wantVars) {
				t.Fatalf("offending variables = %v, want %v\n%v", got, wantVars, err)
			}
			for _, p := range ce.Problems {
				if !strings.Contains(p.Message, tt.want[p.Var]) {
					t.Errorf("%s, want a message containing %q", p, tt.want[p.Var])
				}
			}
		})
	}
}

func TestLoadNeverQuotesSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"hunter2-db", "hunter2-redis", "plain-admin-pw", testHash[7:59]}
	m := with(prodEnv(), map[string]string{
		// DATABASE_URL next to the parts, with a password url.Parse chokes on.
		"DATABASE_URL": "postgres://app:hunter2-db%zz@db/salon",
		"REDIS_URL":    "redis://:hunter2-redis@cache:6379/99",
		"ADMIN_USERS":  "alice:admin:plain-admin-pw,bob:plain-admin-pw," + "carol:viewer:" + testHash[:59] + "x!",
	})
	_, err := Load(env(m))
	ce := asError(t, err)
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error quotes secret %q: %v", s, err)
		}
	}
	for _, v := range []string{"DATABASE_URL", "REDIS_URL", "ADMIN_USERS"} {
		if !slices.Contains(ce.Vars(), v) {
			t.Errorf("%s not named in %v", v, err)
		}
	}
}
