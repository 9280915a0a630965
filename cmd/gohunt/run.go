package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gohunt/gohunt/kernel/client"
	"github.com/gohunt/gohunt/playbook"
)

func init() {
	commands["run"] = command{"execute a notebook headless, without Python (gohunt run -h)", runNotebook}
}

const runUsage = `usage: gohunt run NOTEBOOK [-p name=value]... [-o OUT.ipynb] [--html OUT.html] [flags]

Executes every code cell of NOTEBOOK on the gohunt kernel, through the Jupyter protocol, and
writes the executed notebook and a static HTML report. Parameters are injected as papermill
injects them: a cell tagged "injected-parameters" after the cell tagged "parameters", holding
one "name := value" line per -p. Values are typed as papermill's command line types them:
True/False are bools, None is nil, 3 is an int, 3.0 a float64, anything else a string.

The kernel runs in the notebook's directory (as in JupyterLab and nbconvert) unless --cwd says
otherwise, and inherits the environment (ES_URL and the like).

Exit status: 0 when every cell ran; 1 naming the first failing cell (the notebook and report are
still written, showing the failure); 2 for bad usage.

flags:
`

// paramList collects repeated -p flags.
type paramList []playbook.Param

func (p *paramList) String() string { return fmt.Sprint(len(*p), " parameters") }

func (p *paramList) Set(s string) error {
	prm, err := playbook.ParseParam(s)
	if err != nil {
		return err
	}
	*p = append(*p, prm)
	return nil
}

func runNotebook(args []string) error {
	fs := flag.NewFlagSet("gohunt run", flag.ContinueOnError)
	var params paramList
	fs.Var(&params, "p", "parameter `name=value` (repeatable)")
	out := fs.String("o", "", "executed notebook `path` (default: out/NAME.ipynb beside NOTEBOOK)")
	htmlOut := fs.String("html", "", "HTML report `path` (default: the -o path with .html; \"none\" for no report)")
	timeout := fs.Duration("timeout", 0, "per-cell time limit, e.g. 10m (0: none); a cell over it is interrupted and fails the run")
	allowErrors := fs.Bool("allow-errors", false, "run every cell even after one fails (the exit status still reports the first failure)")
	cwd := fs.String("cwd", "", "working `directory` of the kernel (default: the notebook's directory)")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	usage := func() {
		fmt.Fprint(os.Stderr, runUsage)
		fs.SetOutput(os.Stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	// Flags may come before or after the notebook path.
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil
			}
			usage()
			return usageExit(err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	if len(positional) != 1 {
		usage()
		return usageExit(fmt.Errorf("want exactly one NOTEBOOK, got %d arguments", len(positional)))
	}
	in, err := filepath.Abs(positional[0])
	if err != nil {
		return err
	}
	outPath := *out
	if outPath == "" {
		outPath = filepath.Join(filepath.Dir(in), "out", filepath.Base(in))
	}
	if outPath, err = filepath.Abs(outPath); err != nil {
		return err
	}
	reportPath := *htmlOut
	switch reportPath {
	case "":
		reportPath = strings.TrimSuffix(outPath, filepath.Ext(outPath)) + ".html"
	case "none":
		reportPath = ""
	}
	if reportPath != "" {
		if reportPath, err = filepath.Abs(reportPath); err != nil {
			return err
		}
	}
	workDir := filepath.Dir(in)
	if *cwd != "" {
		workDir = *cwd
	}

	nb, err := playbook.ReadFile(in)
	if err != nil {
		return err
	}
	if len(params) > 0 {
		warning, err := playbook.InjectParameters(nb, params)
		if err != nil {
			return err
		}
		if warning != "" {
			fmt.Fprintf(os.Stderr, "gohunt run: warning: %s\n", warning)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	runErr := executeNotebook(ctx, nb, workDir, playbook.Options{
		CellTimeout: *timeout,
		AllowErrors: *allowErrors,
		Progress: func(i int, c *playbook.Cell) {
			if !*quiet {
				fmt.Fprintf(os.Stderr, "gohunt run: cell %d/%d %s\n", i+1, len(nb.Cells), firstLine(c.Source))
			}
		},
	})
	// Credentials never reach what is saved: URL userinfo and values named like credentials
	// are masked in the outputs, the injected parameters, the report and the failure message.
	nb.RedactOutputs()
	if len(params) > 0 {
		if err := nb.RedactParameters(params); err != nil {
			return err
		}
	}
	info := playbook.ReportInfo{
		Title:    strings.TrimSuffix(filepath.Base(in), filepath.Ext(in)),
		Kernel:   "gohunt",
		Params:   playbook.RedactParams(params),
		Started:  started,
		Duration: time.Since(started),
	}
	var cellErr *playbook.CellError
	if errors.As(runErr, &cellErr) {
		cellErr.Redact()
		info.Failure = cellErr
	} else if runErr != nil {
		return runErr // the kernel never ran: nothing worth writing
	}
	if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
		return err
	}
	if err := nb.WriteFile(outPath); err != nil {
		return fmt.Errorf("writing %s: %w", outPath, err)
	}
	fmt.Fprintf(os.Stderr, "gohunt run: executed notebook: %s\n", outPath)
	if reportPath != "" {
		if err := writeReport(reportPath, nb, info); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gohunt run: HTML report: %s\n", reportPath)
	}
	return runErr
}

// executeNotebook starts the gohunt kernel (this binary) in dir, runs nb on it and shuts it
// down. A kernel that exits mid-run ends the run with an error instead of a hang.
func executeNotebook(ctx context.Context, nb *playbook.Notebook, dir string, opts playbook.Options) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the gohunt binary: %w", err)
	}
	prev, err := os.Getwd()
	if err != nil {
		return err
	}
	// The kernel inherits the working directory: switch for the start only.
	if err := os.Chdir(dir); err != nil {
		return fmt.Errorf("kernel working directory: %w", err)
	}
	startCtx, cancelStart := context.WithTimeout(ctx, 60*time.Second)
	k, err := client.Start(startCtx, []string{exe, "kernel", "-f", "{connection_file}"}, nil)
	cancelStart()
	if cerr := os.Chdir(prev); cerr != nil && err == nil {
		k.Shutdown()
		return cerr
	}
	if err != nil {
		return fmt.Errorf("starting the gohunt kernel: %w", err)
	}
	defer k.Shutdown()
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-k.Exited():
			cancel(errors.New("the kernel process exited"))
			k.Client.Close() // nothing will answer: let pending requests fail now
		case <-runCtx.Done():
		}
	}()
	infoCtx, cancelInfo := context.WithTimeout(runCtx, 30*time.Second)
	info, err := k.KernelInfo(infoCtx)
	cancelInfo()
	if err != nil {
		return fmt.Errorf("kernel_info: %w", err)
	}
	err = playbook.Run(runCtx, k, nb, info, opts)
	var ce *playbook.CellError
	if errors.As(err, &ce) && ce.Err != nil {
		switch {
		case ctx.Err() != nil:
			ce.Err = errors.New("interrupted (signal): the kernel was asked to stop the cell")
		case context.Cause(runCtx) != nil:
			ce.Err = context.Cause(runCtx)
		}
	}
	return err
}

func writeReport(path string, nb *playbook.Notebook, info playbook.ReportInfo) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := playbook.RenderHTML(f, nb, info); err != nil {
		f.Close()
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	return f.Close()
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if r := []rune(l); len(r) > 70 {
				return string(r[:69]) + "…"
			}
			return l
		}
	}
	return ""
}

// usageExit reports a command-line mistake and exits with status 2, as flag parsing does.
func usageExit(err error) error {
	fmt.Fprintf(os.Stderr, "gohunt run: %v\n", err)
	os.Exit(2)
	return err
}
