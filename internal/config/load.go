package config

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Load reads every variable through lookup (os.LookupEnv in production, a
// map in tests), applies the defaults and the development defaults, and
// validates the result as a process that runs everything would need it:
// the providers set, and real ones outside development. It never connects
// anywhere. On any problem it returns a nil Config and one *Error naming
// every offending variable.
//
// A variable set to the empty string counts as unset, as ECS and compose
// files often pass empty values.
func Load(lookup func(string) (string, bool)) (*Config, error) {
	return load(everything, lookup)
}

// LoadFor is Load for one subcommand (Commands): only the variables it
// uses are checked and required, so `jobs migrate` needs the database and
// nothing else. The variables it does not use keep their defaults in the
// Config but must not be relied on.
func LoadFor(command string, lookup func(string) (string, bool)) (*Config, error) {
	cmd, ok := CommandNamed(command)
	if !ok {
		return nil, fmt.Errorf("config: no command %q", command)
	}
	return load(cmd, lookup)
}

// everything is what Load checks: every variable, with the worker's rules.
var everything = Command{Uses: allBut(), Requires: providerVars, Sends: true}

func load(cmd Command, lookup func(string) (string, bool)) (*Config, error) {
	l := &loader{cmd: cmd, lookup: lookup, set: map[string]bool{}, failed: map[string]bool{}}
	c := &Config{}
	l.read(c)
	l.validate(c)
	if err := l.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// loader holds the state of one Load.
type loader struct {
	problems
	cmd    Command
	lookup func(string) (string, bool)
	set    map[string]bool // variables given a non-empty value
	failed map[string]bool // variables that did not parse: validate skips them
}

// add records a problem with a variable the command uses; the rules run
// over every variable, and this is where a command's choice applies.
func (l *loader) add(name, message string) {
	if l.cmd.uses(name) {
		l.problems.add(name, message)
	}
}

// read fills c field by field, so that one bad value does not hide the
// next one the way envconfig.Process would.
func (l *loader) read(c *Config) {
	vars := Describe()
	raw := map[string]string{}
	for _, v := range vars {
		if s, ok := l.lookup(v.Name); ok && s != "" {
			raw[v.Name] = s
			l.set[v.Name] = true
		}
	}
	env := cmp.Or(raw["APP_ENV"], EnvProduction)
	dev := env == EnvDevelopment || env == EnvTest

	rv := reflect.ValueOf(c).Elem()
	for _, v := range vars {
		s, ok := raw[v.Name]
		if !ok {
			s = v.Default
		}
		if s == "" && dev && v.DevDefault != "" && !slices.ContainsFunc(v.DevUnless, l.isSet) {
			s = v.DevDefault
		}
		if v.Secret {
			l.secret(s)
		}
		if s == "" {
			continue
		}
		if msg := setField(rv.Field(v.index), s); msg != "" {
			l.add(v.Name, msg)
			l.failed[v.Name] = true
		}
	}
}

func (l *loader) isSet(name string) bool { return l.set[name] }

// setField converts s into f and returns a problem message when it cannot.
// Only non-secret fields can fail (secrets are strings), so quoting the
// value is safe.
func setField(f reflect.Value, s string) string {
	t := strings.TrimSpace(s)
	switch {
	case f.Type() == durationType:
		d, err := time.ParseDuration(t)
		if err != nil {
			return fmt.Sprintf("%q is not a duration (like 30s or 1m30s)", s)
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(s)
	case f.Kind() == reflect.Int:
		n, err := strconv.Atoi(t)
		if err != nil {
			return fmt.Sprintf("%q is not a whole number", s)
		}
		f.SetInt(int64(n))
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(t)
		if err != nil {
			return fmt.Sprintf("%q is not a boolean (true or false)", s)
		}
		f.SetBool(b)
	case f.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprintf("%q is not a number", s)
		}
		f.SetFloat(x)
	default:
		// A field type Config gained without teaching setField.
		panic(fmt.Sprintf("config: unsupported field type %s", f.Type()))
	}
	return ""
}

// oneOf returns a problem message when v is not one of allowed.
func oneOf(v string, allowed ...string) string {
	if slices.Contains(allowed, v) {
		return ""
	}
	return fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))
}
