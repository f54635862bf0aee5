package deploytest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goBuild is what decides the binary in a go build command line.
type goBuild struct {
	CGO     string   // CGO_ENABLED
	Flags   []string // flags other than -ldflags and -o, sorted
	LDFlags []string // -ldflags without its -X settings, sorted
	XVars   []string // the variables -X sets (not their values)
	Package string
}

// parseGoBuild reads the words of a command line holding `go build`: the
// VAR=value words before it, then go build's arguments.
func parseGoBuild(t *testing.T, where string, words []string) goBuild {
	t.Helper()
	var b goBuild
	i := slices.Index(words, "go")
	if i < 0 || i+1 >= len(words) || words[i+1] != "build" {
		t.Fatalf("%s: no go build in %q", where, words)
	}
	for _, w := range words[:i] {
		if v, ok := strings.CutPrefix(w, "CGO_ENABLED="); ok {
			b.CGO = v
		}
	}
	args := words[i+2:]
	for j := 0; j < len(args); j++ {
		switch a := args[j]; {
		case a == "-o":
			j++
		case a == "-ldflags":
			j++
			ld := strings.Fields(args[j])
			for k := 0; k < len(ld); k++ {
				if ld[k] == "-X" && k+1 < len(ld) {
					b.XVars = append(b.XVars, strings.SplitN(ld[k+1], "=", 2)[0])
					k++
					continue
				}
				b.LDFlags = append(b.LDFlags, ld[k])
			}
		case strings.HasPrefix(a, "-"):
			b.Flags = append(b.Flags, a)
		default:
			b.Package = a
		}
	}
	slices.Sort(b.Flags)
	slices.Sort(b.LDFlags)
	return b
}

// shellWords splits a command line into words: double and single quotes
// group, backslash-newline continues.
func shellWords(s string) []string {
	s = strings.ReplaceAll(s, "\\\n", " ")
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// dockerfileBuild returns the go build of the Dockerfile's build stage.
func dockerfileBuild(t *testing.T) goBuild {
	t.Helper()
	text := strings.ReplaceAll(string(readRepoFile(t, "Dockerfile")), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "RUN ") && strings.Contains(line, " go build ") {
			return parseGoBuild(t, "Dockerfile", shellWords(line))
		}
	}
	t.Fatal("Dockerfile: no RUN ... go build")
	return goBuild{}
}

// makefileBuild returns the go build of the Makefile's build target, with
// its variables expanded.
func makefileBuild(t *testing.T) goBuild {
	t.Helper()
	text := string(readRepoFile(t, "Makefile"))
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_]+)\s*[:?]?=\s*(.*)$`).FindAllStringSubmatch(text, -1) {
		vars[m[1]] = m[2]
	}
	recipe := regexp.MustCompile(`(?m)^build:.*\n\t(.*)$`).FindStringSubmatch(text)
	if recipe == nil {
		t.Fatal("Makefile: no build target")
	}
	line := regexp.MustCompile(`\$\(([A-Z_]+)\)`).ReplaceAllStringFunc(recipe[1], func(m string) string {
		return vars[m[2:len(m)-1]]
	})
	return parseGoBuild(t, "Makefile", shellWords(line))
}

// testsBuild returns the go build with which the tests that run the binary
// (cmd/jobs, the chaos suite) build it: testenv.BuildJobs.
func testsBuild(t *testing.T) goBuild {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "process.go", readRepoFile(t, "internal/testenv/process.go"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && s == "CGO_ENABLED=0" {
				words = append([]string{s}, words...)
			}
		}
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 2 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Command" {
			return true
		}
		var args []string
		for _, a := range call.Args {
			if l, ok := a.(*ast.BasicLit); ok && l.Kind == token.STRING {
				s, _ := strconv.Unquote(l.Value)
				args = append(args, s)
			} else {
				args = append(args, "<expr>")
			}
		}
		if len(args) > 1 && args[0] == "go" && args[1] == "build" {
			words = append(words, args...)
		}
		return true
	})
	return parseGoBuild(t, "internal/testenv/process.go", words)
}

// TestDockerfileBuildsTheBinaryTheTestsRun compares the three go build
// command lines: the image's, `make build`'s and the tests'. Only the
// version stamp (-X) may be missing from the tests' build.
func TestDockerfileBuildsTheBinaryTheTestsRun(t *testing.T) {
	docker, mk, tests := dockerfileBuild(t), makefileBuild(t), testsBuild(t)
	want := goBuild{CGO: "0", Flags: []string{"-trimpath"}, LDFlags: []string{"-s", "-w"},
		XVars: []string{"github.com/salonworks/jobs/internal/version.Version"}, Package: "./cmd/jobs"}
	if diff := cmp.Diff(want, docker); diff != "" {
		t.Errorf("Dockerfile go build (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(docker, mk); diff != "" {
		t.Errorf("Makefile build differs from the Dockerfile's (-docker +make):\n%s", diff)
	}
	tests.XVars, tests.Package = docker.XVars, docker.Package // the tests build by package path (testenv.BuildJobs), unstamped
	if diff := cmp.Diff(docker, tests); diff != "" {
		t.Errorf("the tests' build differs from the Dockerfile's (-docker +tests):\n%s", diff)
	}
}

func TestShellWords(t *testing.T) {
	got := shellWords(`CGO_ENABLED=0 go build -ldflags "-s -w -X a.B=${V}" \` + "\n" + ` -o '/out/x y' ./cmd`)
	want := []string{"CGO_ENABLED=0", "go", "build", "-ldflags", "-s -w -X a.B=${V}", "-o", "/out/x y", "./cmd"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// dockerfileEntrypoint returns the binary the image runs: its ENTRYPOINT,
// which must be where the build stage's output is copied, and which the
// image's HEALTHCHECK runs too.
func dockerfileEntrypoint(t *testing.T) string {
	t.Helper()
	text := string(readRepoFile(t, "Dockerfile"))
	m := regexp.MustCompile(`(?m)^ENTRYPOINT (\[.*\])$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("Dockerfile: no exec-form ENTRYPOINT")
	}
	var entry []string
	if err := json.Unmarshal([]byte(m[1]), &entry); err != nil || len(entry) != 1 {
		t.Fatalf("Dockerfile ENTRYPOINT %s: want one path", m[1])
	}
	if !regexp.MustCompile(`(?m)^COPY --from=build \S+ ` + regexp.QuoteMeta(entry[0]) + `$`).MatchString(text) {
		t.Errorf("Dockerfile: the binary is not copied to the ENTRYPOINT %s", entry[0])
	}
	if !strings.Contains(text, `CMD ["`+entry[0]+`", "healthcheck"]`) {
		t.Errorf("Dockerfile: HEALTHCHECK does not run %s healthcheck", entry[0])
	}
	if !regexp.MustCompile(`(?m)^USER nonroot`).MatchString(text) {
		t.Error("Dockerfile: the image does not run as nonroot")
	}
	return entry[0]
}
