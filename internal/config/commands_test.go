package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// minimalProduction is, per command, a production environment holding only
// variables the command requires: each of them, removed, must stop it.
var minimalProduction = map[string]map[string]string{
	CmdWorker: {
		"DATABASE_URL": "postgres://jobs:pw@db.internal:5432/jobs", "REDIS_URL": "rediss://:pw@cache.internal:6379/0",
		"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
		"TWILIO_AUTH_TOKEN": "twilio-secret-token", "TWILIO_MESSAGING_SERVICE_SID": "MG0123456789abcdef0123456789abcdef",
		"PUBLIC_BASE_URL": "https://jobs.example.com",
		"EMAIL_PROVIDER":  "ses", "EMAIL_FROM": "Salon <no-reply@example.com>",
		"STORAGE": "s3", "S3_BUCKET": "salon-uploads",
	},
	CmdDev: {
		"DATABASE_URL": "postgres://jobs:pw@db.internal:5432/jobs", "REDIS_URL": "redis://cache.internal:6379/0",
		"SMS_PROVIDER": "log", "EMAIL_PROVIDER": "log", "STORAGE": "local", "ALLOW_LOG_PROVIDERS": "true",
	},
	CmdScheduler: {"REDIS_URL": "rediss://:pw@cache.internal:6379/0"},
	CmdAdmin: {
		"DATABASE_URL": "postgres://jobs:pw@db.internal:5432/jobs", "REDIS_URL": "rediss://:pw@cache.internal:6379/0",
		"ADMIN_USERS":  "alice:admin:" + testHash,
		"SMS_PROVIDER": "twilio", "TWILIO_AUTH_TOKEN": "twilio-secret-token", "PUBLIC_BASE_URL": "https://jobs.example.com",
	},
	CmdMigrate:   {"DATABASE_URL": "postgres://jobs:pw@db.internal:5432/jobs"},
	CmdSeed:      {"DATABASE_URL": "postgres://jobs:pw@db.internal:5432/jobs"},
	CmdEnqueue:   {"REDIS_URL": "rediss://:pw@cache.internal:6379/0"},
	CmdSchedules: {"REDIS_URL": "rediss://:pw@cache.internal:6379/0"},
}

// TestLoadForNeedsOnlyWhatTheCommandUses: each command loads in production
// with only its own variables, and refuses the same environment missing
// any one of them, naming it (or, for the parts of a URL, the URL).
func TestLoadForNeedsOnlyWhatTheCommandUses(t *testing.T) {
	t.Parallel()
	for _, c := range Commands() {
		base, ok := minimalProduction[c.Name]
		if !ok {
			t.Errorf("no minimal production environment for %s", c.Name)
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			if _, err := LoadFor(c.Name, env(base)); err != nil {
				t.Fatalf("LoadFor(%s) with only its variables: %v", c.Name, err)
			}
			for name := range base {
				if !slices.Contains(c.Uses, name) {
					t.Errorf("%s is in the minimal environment of %s, which does not use it", name, c.Name)
				}
				if name == "ALLOW_LOG_PROVIDERS" || c.Name == CmdAdmin && name == "SMS_PROVIDER" {
					// The first one's absence shows as the providers it
					// allows; without the second the dashboard serves no
					// Twilio webhooks and needs no token.
					continue
				}
				_, err := LoadFor(c.Name, env(with(base, map[string]string{name: ""})))
				if err == nil {
					t.Errorf("without %s: loads", name)
					continue
				}
				if !strings.Contains(err.Error(), name) {
					t.Errorf("without %s: error does not name it: %v", name, err)
				}
				if strings.Count(err.Error(), "invalid configuration") != 1 {
					t.Errorf("without %s: not one message: %v", name, err)
				}
			}
		})
	}
}

// TestLoadForIgnoresWhatTheCommandDoesNotUse: variables a command does not
// read may be missing or wrong without stopping it; the worker still
// checks them all.
func TestLoadForIgnoresWhatTheCommandDoesNotUse(t *testing.T) {
	t.Parallel()
	junk := map[string]string{
		"SMS_PROVIDER": "carrier-pigeon", "EMAIL_PROVIDER": "log", "STORAGE": "local",
		"SHUTDOWN_TIMEOUT": "soon", "WORKER_QUEUES": "nope", "TWILIO_ACCOUNT_SID": "SK123",
		"ADMIN_USERS": "plain", "SCHEDULE_FILE": "/x.yaml", "API_BASE_URL": "ftp://x",
	}
	for _, name := range []string{CmdMigrate, CmdSeed, CmdEnqueue, CmdScheduler} {
		cmd, _ := CommandNamed(name)
		m := maps.Clone(minimalProduction[name])
		for k, v := range junk {
			if !cmd.uses(k) {
				m[k] = v
			}
		}
		if _, err := LoadFor(name, env(m)); err != nil {
			t.Errorf("%s: refused for variables it does not use: %v", name, err)
		}
	}
	m := maps.Clone(minimalProduction[CmdWorker])
	maps.Copy(m, junk)
	ce := asError(t, func() error { _, err := LoadFor(CmdWorker, env(m)); return err }())
	for _, name := range []string{"SMS_PROVIDER", "EMAIL_PROVIDER", "STORAGE", "SHUTDOWN_TIMEOUT", "WORKER_QUEUES", "TWILIO_ACCOUNT_SID", "API_BASE_URL"} {
		if !slices.Contains(ce.Vars(), name) {
			t.Errorf("worker: %s not refused: %v", name, ce)
		}
	}
	if slices.Contains(ce.Vars(), "ADMIN_USERS") {
		t.Errorf("worker checks ADMIN_USERS, which it does not read: %v", ce)
	}
}

// TestLogProvidersRefusedOnlyWhereTheySend: production refuses the log
// providers in the worker, not in the dashboard, which sends nothing.
func TestLogProvidersRefusedOnlyWhereTheySend(t *testing.T) {
	t.Parallel()
	logs := map[string]string{"SMS_PROVIDER": "log", "EMAIL_PROVIDER": "log", "STORAGE": "local"}
	admin := with(minimalProduction[CmdAdmin], map[string]string{"SMS_PROVIDER": "log", "STORAGE": "local", "TWILIO_AUTH_TOKEN": "", "PUBLIC_BASE_URL": ""})
	if _, err := LoadFor(CmdAdmin, env(admin)); err != nil {
		t.Errorf("admin with SMS_PROVIDER=log: %v", err)
	}
	worker := with(minimalProduction[CmdWorker], logs)
	_, err := LoadFor(CmdWorker, env(worker))
	ce := asError(t, err)
	if want := []string{"EMAIL_PROVIDER", "SMS_PROVIDER", "STORAGE"}; !slices.Equal(ce.Vars(), want) {
		t.Errorf("worker with log providers: refused %v, want %v", ce.Vars(), want)
	}
	if !strings.Contains(err.Error(), "ALLOW_LOG_PROVIDERS") {
		t.Errorf("refusal does not say how to allow them: %v", err)
	}
	worker["ALLOW_LOG_PROVIDERS"] = "true"
	if _, err := LoadFor(CmdWorker, env(worker)); err != nil {
		t.Errorf("worker with ALLOW_LOG_PROVIDERS=true: %v", err)
	}
}

func TestCommandsTable(t *testing.T) {
	t.Parallel()
	vars := map[string]bool{}
	for _, v := range Describe() {
		vars[v.Name] = true
		if len(v.Commands) == 0 {
			t.Errorf("%s is read by no command", v.Name)
		}
	}
	for _, c := range Commands() {
		for _, name := range slices.Concat(c.Uses, c.Requires) {
			if !vars[name] {
				t.Errorf("%s lists %s, which Config does not declare", c.Name, name)
			}
		}
		for _, name := range c.Requires {
			if !slices.Contains(c.Uses, name) {
				t.Errorf("%s requires %s without using it", c.Name, name)
			}
		}
	}
	if _, err := LoadFor("nope", env(nil)); err == nil {
		t.Error("LoadFor of an unknown command succeeds")
	}
}

// TestUsageShowsWhoUsesEachVariable: `jobs config` has a USED BY column
// drawn from the table.
func TestUsageShowsWhoUsesEachVariable(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	if err := Usage(&buf); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(buf.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	for name, want := range map[string]string{
		"APP_ENV":           "all",
		"DATABASE_URL":      "worker,dev,admin,migrate,seed",
		"REDIS_URL":         "worker,dev,scheduler,admin,enqueue,schedules",
		"EMAIL_PROVIDER":    "worker,dev",
		"TWILIO_AUTH_TOKEN": "worker,dev,admin",
		"SCHEDULE_FILE":     "dev,scheduler,schedules",
		"ADMIN_USERS":       "dev,admin",
		"METRICS_EMF":       "worker",
	} {
		if !slices.Contains(rows[name], want) {
			t.Errorf("%s row lacks USED BY %s: %v", name, want, rows[name])
		}
	}
}
