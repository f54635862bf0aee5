package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Admin roles (ADMIN_USERS).
const (
	// RoleAdmin may act on tasks and queues: run, retry, archive, delete.
	RoleAdmin = "admin"
	// RoleViewer may only look.
	RoleViewer = "viewer"
)

// AdminUser is one entry of ADMIN_USERS. Printing or logging it never shows
// the hash.
type AdminUser struct {
	// Name is the login name.
	Name string
	// Role is RoleAdmin or RoleViewer.
	Role string
	// Hash is the bcrypt hash of the password.
	Hash string `json:"-"`
}

// String returns "name:role:****".
func (u AdminUser) String() string { return u.Name + ":" + u.Role + ":****" }

// LogValue logs the name and role only.
func (u AdminUser) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", u.Name), slog.String("role", u.Role))
}

// Admins returns the users of ADMIN_USERS, in order. Load has validated
// them; an entry of a hand-built Config that does not parse is left out.
func (c *Config) Admins() []AdminUser {
	users, _ := parseAdminUsers(c.AdminUsers)
	return users
}

// ValidateAdmin checks what `jobs admin` needs beyond Load: ADMIN_USERS
// must be set outside development, as the dashboard can retry and delete
// tasks. LoadFor(CmdAdmin, …) applies the same rule. It returns an *Error.
func ValidateAdmin(c *Config) error {
	var ps problems
	users, msgs := parseAdminUsers(c.AdminUsers)
	for _, m := range msgs {
		ps.add("ADMIN_USERS", m)
	}
	if len(users) == 0 && len(msgs) == 0 && !c.Development() {
		ps.add("ADMIN_USERS", fmt.Sprintf("required in %s for jobs admin (comma-separated name:role:bcrypt-hash)", deployedEnv(c)))
	}
	return ps.err()
}

func (l *loader) validateAdmin(c *Config) {
	users, msgs := parseAdminUsers(c.AdminUsers)
	for _, m := range msgs {
		l.add("ADMIN_USERS", m)
	}
	if len(users) == 0 && len(msgs) == 0 && !c.Development() && l.cmd.requires("ADMIN_USERS") {
		l.add("ADMIN_USERS", fmt.Sprintf("required in %s for jobs admin (comma-separated name:role:bcrypt-hash)", deployedEnv(c)))
	}
	l.checkURL("PROMETHEUS_URL", c.PrometheusURL, false)
}

// parseAdminUsers parses "name:role:hash,...". Its messages name an entry
// by position and name, never by hash or by a part that might be a
// password typed where the hash belongs. Empty entries are skipped.
func parseAdminUsers(s string) ([]AdminUser, []string) {
	var users []AdminUser
	var msgs []string
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 3 || parts[0] == "" {
			msgs = append(msgs, fmt.Sprintf("entry %d is not name:role:bcrypt-hash", i+1))
			continue
		}
		u := AdminUser{Name: parts[0], Role: parts[1], Hash: parts[2]}
		at := fmt.Sprintf("entry %d (%s)", i+1, u.Name)
		ok := true
		if strings.ContainsAny(u.Name, " \t") {
			msgs = append(msgs, fmt.Sprintf("entry %d: the name has white space", i+1))
			ok = false
		}
		if u.Role != RoleAdmin && u.Role != RoleViewer {
			msgs = append(msgs, fmt.Sprintf("%s: role %q is not admin or viewer", at, u.Role))
			ok = false
		}
		if !looksBcrypt(u.Hash) {
			msgs = append(msgs, at+": not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters); plain passwords are refused")
			ok = false
		}
		if seen[u.Name] {
			msgs = append(msgs, at+": name listed twice")
			ok = false
		}
		seen[u.Name] = true
		if ok {
			users = append(users, u)
		}
	}
	return users, msgs
}

// looksBcrypt reports whether h has the shape of a bcrypt hash:
// $2a$ (or $2b$, $2y$), a two-digit cost from 04 to 31, $, then 53
// characters of bcrypt's base64 alphabet.
func looksBcrypt(h string) bool {
	if len(h) != 60 || h[6] != '$' {
		return false
	}
	switch h[:4] {
	case "$2a$", "$2b$", "$2y$":
	default:
		return false
	}
	cost := h[4:6]
	if cost[0] < '0' || cost[0] > '3' || cost[1] < '0' || cost[1] > '9' || cost < "04" || cost > "31" {
		return false
	}
	for _, r := range h[7:] {
		if !(r == '.' || r == '/' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}
