package config

import (
	"log/slog"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// redacted replaces a secret.
const redacted = "****"

// Redacted returns every variable with its effective value (defaults
// applied), secrets replaced by "****": DATABASE_PASSWORD, REDIS_PASSWORD,
// TWILIO_AUTH_TOKEN, API_KEY, the password inside DATABASE_URL and
// REDIS_URL, and the hashes of ADMIN_USERS. It is safe to log. An unset
// secret stays empty, so the log still shows that it is missing.
func (c *Config) Redacted() map[string]string {
	rv := reflect.ValueOf(c).Elem()
	out := map[string]string{}
	for _, v := range Describe() {
		s := format(rv.Field(v.index))
		switch {
		case s == "":
		case v.secret == "url":
			s = redactURL(s)
		case v.secret == "admin":
			s = redactAdmins(s)
		case v.secret != "":
			s = redacted
		}
		out[v.Name] = s
	}
	return out
}

// LogValue logs the configuration as Redacted, so passing a *Config to
// slog cannot leak a secret.
func (c *Config) LogValue() slog.Value {
	r := c.Redacted()
	names := make([]string, 0, len(r))
	for name := range r {
		names = append(names, name)
	}
	slices.Sort(names)
	attrs := make([]slog.Attr, len(names))
	for i, name := range names {
		attrs[i] = slog.String(name, r[name])
	}
	return slog.GroupValue(attrs...)
}

// format renders a field the way its variable would be written.
func format(f reflect.Value) string {
	switch {
	case f.Type() == durationType:
		return time.Duration(f.Int()).String()
	case f.Kind() == reflect.Int:
		return strconv.FormatInt(f.Int(), 10)
	case f.Kind() == reflect.Bool:
		return strconv.FormatBool(f.Bool())
	case f.Kind() == reflect.Float64:
		return strconv.FormatFloat(f.Float(), 'g', -1, 64)
	default:
		return f.String()
	}
}

// redactURL hides the password of a URL, in the user info or in a
// password query parameter. A URL that does not parse is hidden whole, as
// there is no telling where its password is.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return redacted
	}
	// url.URL escapes '*', so mark the secrets with a plain placeholder
	// and swap it afterwards.
	const mark = "REDACTEDxREDACTED"
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mark)
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", mark)
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), mark, redacted)
}

// redactAdmins keeps the names and roles of ADMIN_USERS and hides the
// hashes; an entry without the name:role:hash shape is hidden whole.
func redactAdmins(s string) string {
	entries := strings.Split(s, ",")
	for i, e := range entries {
		parts := strings.Split(strings.TrimSpace(e), ":")
		if len(parts) == 3 {
			entries[i] = parts[0] + ":" + parts[1] + ":" + redacted
		} else if strings.TrimSpace(e) != "" {
			entries[i] = redacted
		}
	}
	return strings.Join(entries, ",")
}
