package worker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gohunt/gohunt/internal/redact"
)

// magicHost is what a magic may do with the session it runs in.
type magicHost interface {
	// RunGo runs src as Go cell code; the value of its last expression is shown through res.
	RunGo(ctx context.Context, src string, res *cellResult) error
	// Preloaded reports whether the package name is imported into the session.
	Preloaded(name string) bool
	// Shell runs a command with its output streamed into the cell's.
	Shell(ctx context.Context, name string, args ...string) error
	// Printf prints to the cell's stdout, after everything the cell printed before.
	Printf(format string, a ...any)
}

// A cellMagic runs a cell that starts with %%name: args is the rest of that first line, body
// the lines after it.
type cellMagic interface {
	// Usage is one line for %help.
	Usage() string
	Run(ctx context.Context, h magicHost, args, body string, res *cellResult) error
}

// magicFunc is a cellMagic made of its usage line and a function.
type magicFunc struct {
	usage string
	run   func(ctx context.Context, h magicHost, args, body string, res *cellResult) error
}

func (m magicFunc) Usage() string { return m.usage }

func (m magicFunc) Run(ctx context.Context, h magicHost, args, body string, res *cellResult) error {
	return m.run(ctx, h, args, body, res)
}

// sessionHost is the magicHost of a Session.
type sessionHost struct{ s *Session }

func (h sessionHost) RunGo(ctx context.Context, src string, res *cellResult) error {
	return h.s.runGo(ctx, src, 0, len(src), true, res)
}

func (h sessionHost) Preloaded(name string) bool {
	h.s.d.mu.Lock()
	defer h.s.d.mu.Unlock()
	_, ok := h.s.d.imports[name]
	return ok
}

func (h sessionHost) Shell(ctx context.Context, name string, args ...string) error {
	return h.s.shell(ctx, name, args...)
}

func (h sessionHost) Printf(format string, a ...any) {
	h.s.syncOutput()
	fmt.Fprintf(h.s.cfg.Stdout, format, a...)
}

// cellMagics is the one table of %% cell magics.
var cellMagics = map[string]cellMagic{
	"sql": magicFunc{
		usage: "%%sql [-o NAME] [-e ENGINE]   run the cell as Spark-dialect SQL over registered frames (hunt.SQL); -o binds the frame to the Go variable NAME; -e runs it as written on the engine in variable ENGINE (a hunt.Spark session)",
		run:   sqlMagic,
	},
	"eql": magicFunc{
		usage: "%%eql [-o NAME] [-f FRAME | VIEW]   run the cell as an EQL query (Frame.EQL) over the Go frame FRAME or the registered VIEW (default: the only one); -o binds the result to NAME",
		run:   eqlMagic,
	},
	"html": magicFunc{
		usage: "%%html            show the cell as HTML",
		run: func(ctx context.Context, h magicHost, args, body string, res *cellResult) error {
			res.data = map[string]any{"text/html": body, "text/plain": "<HTML>"}
			return nil
		},
	},
	"markdown": magicFunc{
		usage: "%%markdown        show the cell as Markdown",
		run: func(ctx context.Context, h magicHost, args, body string, res *cellResult) error {
			res.data = map[string]any{"text/markdown": body, "text/plain": body}
			return nil
		},
	},
	"time": magicFunc{
		usage: "%%time            run the Go cell and print its wall time",
		run: func(ctx context.Context, h magicHost, args, body string, res *cellResult) error {
			t := time.Now()
			err := h.RunGo(ctx, body, res)
			h.Printf("Wall time: %v\n", time.Since(t).Round(time.Microsecond))
			return err
		},
	},
	"bash": magicFunc{
		usage: "%%bash            run the cell with bash, streaming its output",
		run: func(ctx context.Context, h magicHost, args, body string, res *cellResult) error {
			return h.Shell(ctx, "bash", "-c", body)
		},
	},
}

var goIdentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// sqlMagic runs `%%sql [-o name] [-e engine]` as the Go `name := hunt.SQL(body)` (or
// `name := engine.SQL(body)`: the query runs as written on the engine held in the variable
// engine, e.g. a hunt.Spark session) followed by name, so that the frame renders (and a
// deferred error fails the cell) like any displayed value.
func sqlMagic(ctx context.Context, h magicHost, args, body string, res *cellResult) error {
	usage := &execError{Ename: "UsageError", Evalue: "usage: %%sql [-o NAME] [-e ENGINE]; got %%sql " + args}
	var name, engine string
	fields := strings.Fields(args)
	for i := 0; i < len(fields); i += 2 {
		if i+1 >= len(fields) || !goIdentRE.MatchString(fields[i+1]) {
			return usage
		}
		switch fields[i] {
		case "-o":
			if name != "" {
				return usage
			}
			name = fields[i+1]
		case "-e", "--engine":
			if engine != "" {
				return usage
			}
			engine = fields[i+1]
		default:
			return usage
		}
	}
	if !h.Preloaded("hunt") {
		return &execError{Ename: "UsageError", Evalue: "%%sql needs the hunt package, which this build does not preload"}
	}
	if name == "" {
		name = "__sql"
	}
	if engine == "" {
		engine = "hunt"
	}
	src := fmt.Sprintf("%s := %s.SQL(%s)\n%s", name, engine, strconv.Quote(body), name)
	return h.RunGo(ctx, src, res)
}

var eqlArgsRE = regexp.MustCompile(`^\s*(?:-o\s+([A-Za-z_][A-Za-z0-9_]*)\s*)?(?:-f\s+([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))?\s*$`)

// eqlMagic runs `%%eql [-o name] [-f frame | view]` as `name := frame.EQL(body)` or
// `name := hunt.EQL("view", body)` followed by name, as sqlMagic does.
func eqlMagic(ctx context.Context, h magicHost, args, body string, res *cellResult) error {
	m := eqlArgsRE.FindStringSubmatch(args)
	if m == nil {
		return &execError{Ename: "UsageError", Evalue: "usage: %%eql [-o NAME] [-f FRAME | VIEW]; got %%eql " + args}
	}
	if !h.Preloaded("hunt") {
		return &execError{Ename: "UsageError", Evalue: "%%eql needs the hunt package, which this build does not preload"}
	}
	name := m[1]
	if name == "" {
		name = "__eql"
	}
	call := fmt.Sprintf("hunt.EQL(%s, %s)", strconv.Quote(m[3]), strconv.Quote(body))
	if m[2] != "" {
		call = fmt.Sprintf("%s.EQL(%s)", m[2], strconv.Quote(body))
	}
	src := fmt.Sprintf("%s := %s\n%s", name, call, name)
	return h.RunGo(ctx, src, res)
}

var (
	helpBeforeRE = regexp.MustCompile(`^\s*\?\??\s*([A-Za-z_][\w.]*)\s*$`)
	helpAfterRE  = regexp.MustCompile(`^\s*([A-Za-z_][\w.]*)\s*\?\??\s*$`)
)

// helpRequest recognizes `?name` and `name?`.
func helpRequest(code string) (string, bool) {
	if m := helpBeforeRE.FindStringSubmatch(code); m != nil {
		return m[1], true
	}
	if m := helpAfterRE.FindStringSubmatch(code); m != nil {
		return m[1], true
	}
	return "", false
}

// pageHelp puts the documentation of name in the pager (an execute_reply payload).
func (s *Session) pageHelp(name string, res *cellResult) error {
	text, ok := s.docOf(name, "")
	if !ok {
		return &execError{Ename: "NameError", Evalue: fmt.Sprintf("no documentation found for %s", name)}
	}
	res.payload = append(res.payload, map[string]any{
		"source": "page", "data": map[string]any{"text/plain": text}, "start": 0})
	return nil
}

// cellMagic runs a %%name cell.
func (s *Session) cellMagic(ctx context.Context, code string, res *cellResult) error {
	first, body, _ := strings.Cut(code, "\n")
	name, args, _ := strings.Cut(strings.TrimPrefix(first, "%%"), " ")
	m, ok := cellMagics[strings.TrimSpace(name)]
	if !ok {
		return &execError{Ename: "UsageError", Evalue: fmt.Sprintf("unknown cell magic %%%%%s (see %%help)", name)}
	}
	return m.Run(ctx, sessionHost{s}, args, body, res)
}

// lineMagic runs one %name or !command line.
func (s *Session) lineMagic(ctx context.Context, line string, res *cellResult) error {
	if strings.HasPrefix(line, "!") {
		return s.shell(ctx, "sh", "-c", strings.TrimPrefix(line, "!"))
	}
	name, args, _ := strings.Cut(strings.TrimPrefix(line, "%"), " ")
	args = strings.TrimSpace(args)
	switch name {
	case "help":
		fmt.Fprint(s.cfg.Stdout, helpText())
		return nil
	case "env":
		return s.envMagic(ctx, args)
	case "time":
		t := time.Now()
		err := s.runGo(ctx, args, 0, len(args), true, res)
		s.syncOutput()
		fmt.Fprintf(s.cfg.Stdout, "Wall time: %v\n", time.Since(t).Round(time.Microsecond))
		return err
	}
	return &execError{Ename: "UsageError", Evalue: fmt.Sprintf("unknown magic %%%s (see %%help)", name)}
}

// shell runs a command with its output streamed into the cell's.
func (s *Session) shell(ctx context.Context, name string, args ...string) error {
	s.syncOutput()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = s.cfg.Stdout, s.cfg.Stderr
	cmd.Env = s.environ()
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return s.interrupted()
	}
	if _, ok := err.(*exec.ExitError); ok {
		return nil // as in IPython: the command's own output says what failed
	}
	if err != nil {
		return &execError{Ename: "ShellError", Evalue: err.Error()}
	}
	return nil
}

// environ returns the cells' environment (what %env and os.Setenv in cells changed).
func (s *Session) environ() []string {
	v, err := s.eval(context.Background(), "__os.Environ()")
	if err != nil || !v.IsValid() {
		return os.Environ()
	}
	env, ok := v.Interface().([]string)
	if !ok {
		return os.Environ()
	}
	return env
}

var envRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+)?(.*)$`)

// envMagic: %env lists, %env K shows, %env K=V (or K V) sets, for cells and compiled code.
func (s *Session) envMagic(ctx context.Context, args string) error {
	if args == "" {
		env := s.environ()
		sort.Strings(env)
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			fmt.Fprintf(s.cfg.Stdout, "%s=%s\n", k, redact.Value(k, v))
		}
		return nil
	}
	m := envRE.FindStringSubmatch(args)
	if m == nil {
		return &execError{Ename: "UsageError", Evalue: "usage: %env [NAME[=VALUE]]"}
	}
	k, v := m[1], m[2]
	if !strings.ContainsAny(args, "= \t") {
		val, _ := s.eval(ctx, "__os.Getenv("+strconv.Quote(k)+")")
		out := ""
		if val.IsValid() {
			out = val.String()
		}
		fmt.Fprintln(s.cfg.Stdout, redact.Value(k, out))
		return nil
	}
	if err := os.Setenv(k, v); err != nil {
		return &execError{Ename: "UsageError", Evalue: err.Error()}
	}
	if _, err := s.eval(ctx, "__os.Setenv("+strconv.Quote(k)+", "+strconv.Quote(v)+")"); err != nil {
		return err
	}
	fmt.Fprintf(s.cfg.Stdout, "env: %s=%s\n", k, redact.Value(k, v))
	return nil
}

func helpText() string {
	var b strings.Builder
	b.WriteString(`gohunt: Go cells on yaegi, with the hunt library and display preloaded.

Line magics (a line of their own, anywhere in a cell):
  %help             this help
  %env              list the environment; %env NAME shows one; %env NAME=VALUE sets it
  %time STATEMENT   run one Go statement or expression and print its wall time
  !COMMAND          run a shell command, streaming its output
  ?NAME, NAME?      show the documentation of NAME (also Shift-Tab)

Cell magics (first line of the cell):
`)
	names := make([]string, 0, len(cellMagics))
	for n := range cellMagics {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString("  " + cellMagics[n].Usage() + "\n")
	}
	b.WriteString(`
Display: the value of a cell's last expression is shown (HTML(), Markdown(), SVG(), PNG(),
MIMEBundle() by capability, String() as text). display.HTML(s), display.Markdown(s),
display.SVG(s), display.PNG(b), display.Text(s), display.Data(bundle), display.Show(v),
display.ShowID(id, v), display.Update(id, v), display.DataID(id, bundle),
display.UpdateData(id, bundle), display.NewID(), display.Clear(wait).

Go in cells: imports, declarations and statements mix in any order; names persist across cells.
Rewritten for the interpreter: range over an int, per-iteration loop variables captured by
closures, go statements (a goroutine's panic becomes the cell's error). Not supported by yaegi
v0.16.1: range over a function, assigning a generic call's result at the top level of a cell
(use it inside a func), the generic packages slices/maps. Interrupt stops a loop; a crash the
worker cannot survive (stack overflow) restarts it and loses all variables.
`)
	return b.String()
}
