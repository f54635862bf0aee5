package config

import (
	"cmp"
	"slices"
	"strings"
)

// Problem is one thing wrong with one variable. Its Message never holds a
// secret value.
type Problem struct {
	// Var is the environment variable at fault.
	Var string
	// Message says what is wrong and, where it helps, what is expected.
	Message string
}

// String returns "VAR: message".
func (p Problem) String() string { return p.Var + ": " + p.Message }

// Error is what Load and ValidateAdmin return when the configuration is
// unusable: every problem found, sorted by variable.
type Error struct {
	// Problems holds one entry per problem, sorted by Var.
	Problems []Problem
}

// Error joins every problem into one line, so a process that stops on it
// names every variable to fix.
func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid configuration: " + strings.Join(parts, "; ")
}

// Vars returns the variables named by the problems, each once, sorted.
func (e *Error) Vars() []string {
	var vars []string
	for _, p := range e.Problems {
		vars = append(vars, p.Var)
	}
	return slices.Compact(vars)
}

// problems collects Problems while loading and validating.
type problems struct {
	list    []Problem
	secrets []string // values to scrub from every message, should one slip in
}

func (ps *problems) add(name, message string) {
	ps.list = append(ps.list, Problem{Var: name, Message: message})
}

// secret records a value that must not appear in any message.
func (ps *problems) secret(values ...string) {
	for _, v := range values {
		// Very short values would garble messages without hiding much.
		if len(v) >= 4 {
			ps.secrets = append(ps.secrets, v)
		}
	}
}

// err returns the *Error, or nil when nothing was found.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	out := slices.Clone(ps.list)
	for i := range out {
		for _, s := range ps.secrets {
			out[i].Message = strings.ReplaceAll(out[i].Message, s, "****")
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return cmp.Compare(a.Var, b.Var) })
	out = slices.Compact(out)
	return &Error{Problems: out}
}
