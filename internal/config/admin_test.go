package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAdminUsers(t *testing.T) {
	t.Parallel()
	other := strings.Replace(testHash, "$2a$10$", "$2y$12$", 1)
	tests := []struct {
		name      string
		in        string
		wantUsers []AdminUser
		wantMsgs  []string
	}{
		{name: "empty", in: ""},
		{name: "two users, spaces and a trailing comma",
			in:        " alice:admin:" + testHash + " , bob:viewer:" + other + ",",
			wantUsers: []AdminUser{{"alice", "admin", testHash}, {"bob", "viewer", other}}},
		{name: "plain password", in: "alice:admin:hunter2",
			wantMsgs: []string{"entry 1 (alice): not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters); plain passwords are refused"}},
		{name: "missing role", in: "alice:" + testHash,
			wantMsgs: []string{"entry 1 is not name:role:bcrypt-hash"}},
		{name: "unknown role and bad cost",
			in:        "ok:viewer:" + testHash + ",carol:owner:" + strings.Replace(testHash, "$10$", "$99$", 1),
			wantUsers: []AdminUser{{"ok", "viewer", testHash}},
			wantMsgs: []string{`entry 2 (carol): role "owner" is not admin or viewer`,
				"entry 2 (carol): not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters); plain passwords are refused"}},
		{name: "hash of the wrong alphabet", in: "dan:admin:" + testHash[:59] + "!",
			wantMsgs: []string{"entry 1 (dan): not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters); plain passwords are refused"}},
		{name: "name twice", in: "eve:admin:" + testHash + ",eve:viewer:" + testHash,
			wantUsers: []AdminUser{{"eve", "admin", testHash}},
			wantMsgs:  []string{"entry 2 (eve): name listed twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			users, msgs := parseAdminUsers(tt.in)
			if diff := cmp.Diff(tt.wantUsers, users); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMsgs, msgs); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateAdmin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "production with users", env: prodEnv()},
		{name: "production without users", env: with(prodEnv(), map[string]string{"ADMIN_USERS": ""}),
			wantErr: "invalid configuration: ADMIN_USERS: required in production for jobs admin (comma-separated name:role:bcrypt-hash)"},
		{name: "staging without users", env: with(prodEnv(), map[string]string{"ADMIN_USERS": "", "APP_ENV": "staging"}),
			wantErr: "ADMIN_USERS: required in staging"},
		{name: "development without users", env: map[string]string{"APP_ENV": "development"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = ValidateAdmin(c)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateAdmin: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("ValidateAdmin = %v, want %q", err, tt.wantErr)
			case tt.wantErr != "":
				asError(t, err)
			}
		})
	}
}
