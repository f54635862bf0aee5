package config

import (
	"cmp"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Var describes one environment variable, as `jobs config` prints it.
type Var struct {
	// Name is the environment variable.
	Name string
	// Type is string, int, bool, float or duration.
	Type string
	// Default is the value used when the variable is unset, in every
	// environment.
	Default string
	// DevDefault is the value used when the variable is unset and APP_ENV
	// is development or test (see DevUnless).
	DevDefault string
	// DevUnless lists variables whose presence cancels DevDefault: the
	// local Postgres is not filled in around a DATABASE_URL.
	DevUnless []string
	// Required says when the variable must be set; empty when never.
	Required string
	// Secret is true when the value, or part of it, must never be logged.
	Secret bool
	// Description says what the variable does.
	Description string
	// Commands lists the subcommands that read the variable.
	Commands []string

	index  int    // field index in Config
	secret string // the secret tag: value, url or admin
}

var durationType = reflect.TypeFor[time.Duration]()

// Describe returns every variable Config reads, in declaration order,
// with the commands that read it.
func Describe() []Var {
	vars := describeFields()
	for i := range vars {
		vars[i].Commands = usedBy(vars[i].Name)
	}
	return vars
}

// describeFields reads Config's struct tags.
func describeFields() []Var {
	t := reflect.TypeFor[Config]()
	vars := make([]Var, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		v := Var{
			Name:        f.Tag.Get("envconfig"),
			Type:        typeName(f.Type),
			Default:     f.Tag.Get("default"),
			DevDefault:  f.Tag.Get("dev_default"),
			Required:    f.Tag.Get("required_when"),
			Description: f.Tag.Get("desc"),
			index:       i,
			secret:      f.Tag.Get("secret"),
		}
		if u := f.Tag.Get("dev_unless"); u != "" {
			v.DevUnless = strings.Split(u, ",")
		}
		v.Secret = v.secret != ""
		vars = append(vars, v)
	}
	return vars
}

func typeName(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	switch t.Kind() {
	case reflect.Int:
		return "int"
	case reflect.Float64:
		return "float"
	default:
		return t.Kind().String() // string, bool
	}
}

// usageTemplate is rendered by envconfig over Config's fields; each row
// looks its variable up in Describe, so the two cannot disagree silently.
const usageTemplate = `jobs reads its configuration from these environment variables.
DEV DEFAULT applies when APP_ENV is development or test, and only when none of the
variables in brackets is set. Empty values count as unset. Secrets never reach the logs.

USED BY lists the commands that read the variable; the others ignore it.

NAME	TYPE	DEFAULT	DEV DEFAULT	REQUIRED WHEN	USED BY	DESCRIPTION
{{range .}}{{with describe .Key}}{{.Name}}	{{.Type}}	{{or .Default "-"}}	{{devDefault .}}	{{or .Required "-"}}	{{usedBy .}}	{{.Description}}{{if .Secret}} [secret]{{end}}
{{end}}{{end}}`

// Usage writes the table `jobs config` prints: every variable with its
// type, defaults, when it is required, which commands read it and what it
// does.
func Usage(w io.Writer) error {
	byName := map[string]Var{}
	for _, v := range Describe() {
		byName[v.Name] = v
	}
	tmpl, err := template.New("usage").Funcs(template.FuncMap{
		"describe": func(name string) (Var, error) {
			v, ok := byName[name]
			if !ok {
				return Var{}, fmt.Errorf("variable %s has no envconfig tag", name)
			}
			return v, nil
		},
		"usedBy": func(v Var) string {
			if len(v.Commands) == len(commands) {
				return "all"
			}
			return cmp.Or(strings.Join(v.Commands, ","), "-")
		},
		"devDefault": func(v Var) string {
			switch {
			case v.DevDefault == "":
				return "-"
			case len(v.DevUnless) > 0:
				return v.DevDefault + " [" + strings.Join(v.DevUnless, ", ") + "]"
			default:
				return v.DevDefault
			}
		},
	}).Parse(usageTemplate)
	if err != nil {
		return fmt.Errorf("parse usage template: %w", err)
	}
	tw := tabwriter.NewWriter(w, 1, 0, 2, ' ', 0)
	if err := envconfig.Usaget("", &Config{}, tw, tmpl); err != nil {
		return fmt.Errorf("render usage: %w", err)
	}
	return tw.Flush()
}
