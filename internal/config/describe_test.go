package config

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestDescribeCoversEveryField(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[Config]()
	vars := Describe()
	byField := map[int]Var{}
	seen := map[string]bool{}
	for _, v := range vars {
		byField[v.index] = v
		if seen[v.Name] {
			t.Errorf("%s described twice", v.Name)
		}
		seen[v.Name] = true
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		v, ok := byField[i]
		switch {
		case !ok:
			t.Errorf("field %s is not described", f.Name)
		case !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(v.Name):
			t.Errorf("field %s has variable name %q", f.Name, v.Name)
		case v.Description == "":
			t.Errorf("%s has no description", v.Name)
		}
	}
	// Every default must load: a typo in a default tag would otherwise
	// only show at start-up.
	for _, v := range vars {
		for _, d := range []string{v.Default, v.DevDefault} {
			if d == "" {
				continue
			}
			f := reflect.New(typ).Elem().Field(v.index)
			if msg := setField(f, d); msg != "" {
				t.Errorf("%s: default %q does not load: %s", v.Name, d, msg)
			}
		}
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Usage(&buf); err != nil {
		t.Fatalf("Usage: %v", err)
	}
	out := buf.String()
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if name, _, ok := strings.Cut(line, " "); ok {
			rows[name] = line
		}
	}
	for _, v := range Describe() {
		row, ok := rows[v.Name]
		if !ok {
			t.Errorf("Usage has no row for %s", v.Name)
			continue
		}
		for _, want := range []string{v.Default, v.DevDefault, v.Required, v.Description} {
			if !strings.Contains(row, want) {
				t.Errorf("row of %s lacks %q:\n%s", v.Name, want, row)
			}
		}
	}
	// The development defaults are shown, with what cancels them.
	if !strings.Contains(rows["DATABASE_ADDRESS"], "127.0.0.1 [DATABASE_URL, DATABASE_ADDRESS]") {
		t.Errorf("DATABASE_ADDRESS row does not show its development default:\n%s", rows["DATABASE_ADDRESS"])
	}
}
