package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/salonworks/jobs/tasks"
)

// Value renders one value of class c: Secret as Redacted, PII masked as a
// whole (an address, a number) or as text, Plain through Text (a relative
// reference losing its query too).
func Value(c tasks.Class, s string) string {
	switch c {
	case tasks.Plain:
		if strings.HasPrefix(s, "/") {
			s = URL(s)
		}
		return Text(s)
	case tasks.PII:
		return pii(s)
	}
	if s == "" {
		return ""
	}
	return Redacted
}

// pii masks a value known to be personal: one address or one number is
// masked whole, even when it is malformed, which Text would not recognise.
func pii(s string) string {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return s
	case strings.Count(t, "@") >= 1 && !strings.ContainsFunc(t, unicode.IsSpace):
		return Email(t)
	case phoneLike(t):
		return Phone(t)
	}
	return Text(s)
}

// phoneLike reports whether s is only digits (five or more) and the
// characters numbers are written with.
func phoneLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune("+＋()-.‐‑– ", r) || unicode.Is(unicode.Zs, r):
		default:
			return false
		}
	}
	return digits >= 5
}

// Payload renders a task payload of kind for a person to read: every
// value through the class its field declares (tasks.ClassOf), keys and
// their order kept. A payload that is not a JSON object, or any value of
// a kind outside the catalogue, is shown as Redacted: nothing says what
// it holds.
func Payload(kind string, raw []byte) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return ""
	}
	classOf, _ := tasks.ClassOf(kind, raw)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := render(dec, &out, nil, classOf); err != nil {
		return Redacted
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Redacted
	}
	return out.String()
}

// render copies the next JSON value of dec to out, each leaf through the
// class of its path.
func render(dec *json.Decoder, out *bytes.Buffer, path []string, classOf func([]string) tasks.Class) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			out.WriteByte('{')
			for first := true; dec.More(); first = false {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if !first {
					out.WriteByte(',')
				}
				writeString(out, key)
				out.WriteByte(':')
				if err := render(dec, out, append(path[:len(path):len(path)], key), classOf); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for first := true; dec.More(); first = false {
				if !first {
					out.WriteByte(',')
				}
				if err := render(dec, out, path, classOf); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		writeString(out, Value(classOf(path), tok))
	default:
		// Numbers, booleans and null: shown unless secret.
		if classOf(path) == tasks.Secret && tok != nil {
			writeString(out, Redacted)
			return nil
		}
		b, _ := json.Marshal(tok)
		out.Write(b)
	}
	return nil
}

func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out.Truncate(out.Len() - 1) // Encode's newline
}

// minQuoted is the shortest value Quoted looks for: shorter ones ("1",
// "ok") would match inside unrelated words.
const minQuoted = 3

// Quoted returns a function that hides, in text about a task of kind with
// payload raw (its last error, its result), every value of the payload
// that is not Plain: a Secret value as Redacted, a PII value masked as
// Value would show it. Errors quote what they refused, and no pattern
// recognises an SMS body or a token quoted alone; the payload says what
// they are. Values are also found in their JSON-escaped form, as an error
// quoting JSON holds them, and as Text masks them.
func Quoted(kind string, raw []byte) func(string) string {
	classOf, _ := tasks.ClassOf(kind, raw)
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return func(s string) string { return s }
	}
	seen := map[string]bool{}
	var pairs []string
	addPair := func(old, repl string) {
		if len(old) < minQuoted || seen[old] || old == repl {
			return
		}
		seen[old] = true
		pairs = append(pairs, old, repl)
	}
	walkLeaves(v, nil, func(path []string, leaf any) {
		s, ok := leaf.(string)
		if !ok {
			if n, isNum := leaf.(json.Number); isNum && classOf(path) == tasks.Secret {
				s = n.String()
			} else {
				return
			}
		}
		c := classOf(path)
		if c == tasks.Plain {
			return
		}
		repl := Value(c, s)
		r, _ := json.Marshal(repl)
		// As quoted, and as Text has already masked it (a formatter ran
		// first), each also JSON-escaped.
		for _, old := range []string{s, Text(s)} {
			addPair(old, repl)
			b, _ := json.Marshal(old)
			addPair(string(b[1:len(b)-1]), string(r[1:len(r)-1]))
		}
	})
	if len(pairs) == 0 {
		return func(s string) string { return s }
	}
	// Longest first, so a value holding another is replaced whole.
	type pair struct{ old, repl string }
	ps := make([]pair, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		ps = append(ps, pair{pairs[i], pairs[i+1]})
	}
	slices.SortFunc(ps, func(a, b pair) int { return len(b.old) - len(a.old) })
	args := make([]string, 0, len(pairs))
	for _, p := range ps {
		args = append(args, p.old, p.repl)
	}
	return strings.NewReplacer(args...).Replace
}

// walkLeaves calls fn with every scalar of v and its path of object keys;
// array elements keep their array's path.
func walkLeaves(v any, path []string, fn func(path []string, leaf any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			walkLeaves(x, append(path[:len(path):len(path)], k), fn)
		}
	case []any:
		for _, x := range v {
			walkLeaves(x, path, fn)
		}
	default:
		fn(path, v)
	}
}
