package playbook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gohunt/gohunt/kernel/client"
)

// Executor runs code in a kernel. *client.Client (and *client.Kernel) implement it.
type Executor interface {
	Execute(ctx context.Context, code string, opt client.ExecuteOptions) (*client.ExecuteResult, error)
}

// Options control Run.
type Options struct {
	// CellTimeout bounds each cell; zero means no limit. A cell that runs longer is interrupted
	// and fails the run.
	CellTimeout time.Duration
	// AllowErrors keeps going after a failing cell (nbconvert --allow-errors); the run still
	// reports the first failure.
	AllowErrors bool
	// Progress, if set, is called before each code cell runs (index into nb.Cells).
	Progress func(index int, c *Cell)
}

// CellError says which cell failed and why. Run returns it for the first failing cell.
type CellError struct {
	Index   int    // 0-based index in Notebook.Cells
	Number  int    // 1-based position among all cells, as a reader counts them
	ID      string // cell id
	Ename   string
	Evalue  string
	Excerpt string // the cell's first non-blank source line
	Err     error  // set when the cell did not finish (timeout, kernel gone), not for a kernel-reported error
}

func (e *CellError) Error() string {
	what := fmt.Sprintf("%s: %s", e.Ename, e.Evalue)
	if e.Err != nil {
		what = e.Err.Error()
	}
	return fmt.Sprintf("cell %d (id %s, %q) failed: %s", e.Number, e.ID, e.Excerpt, what)
}

func (e *CellError) Unwrap() error { return e.Err }

// Run executes every code cell of nb in order through k, replacing each cell's outputs and
// execution count with what the kernel produces, as Jupyter frontends record them (consecutive
// stream output of one name merged, clear_output and update_display_data applied). Cells tagged
// "skip-execution" are left alone; an error in a cell tagged "raises-exception" is expected.
//
// On the first failing cell Run stops (unless opts.AllowErrors) and returns a *CellError; the
// cells after it keep no outputs and no execution count, as nbclient leaves them. kernelInfo,
// if not nil, is the kernel's kernel_info_reply, whose language_info is stored in the
// notebook metadata.
func Run(ctx context.Context, k Executor, nb *Notebook, kernelInfo map[string]any, opts Options) error {
	if li, ok := kernelInfo["language_info"].(map[string]any); ok {
		nb.Metadata["language_info"] = li
	}
	for _, c := range nb.Cells {
		if c.Type == "code" && !c.HasTag("skip-execution") {
			c.Outputs, c.ExecutionCount = []Output{}, nil
		}
	}
	displays := map[string][]Output{}
	var first *CellError
	for i, c := range nb.Cells {
		if c.Type != "code" || c.HasTag("skip-execution") {
			continue
		}
		if opts.Progress != nil {
			opts.Progress(i, c)
		}
		cerr := runCell(ctx, k, i, c, displays, opts)
		if cerr == nil {
			continue
		}
		if cerr.Err == nil && c.HasTag("raises-exception") {
			continue
		}
		if first == nil {
			first = cerr
		}
		if !opts.AllowErrors || cerr.Err != nil {
			return first
		}
	}
	if first != nil {
		return first
	}
	return nil
}

func runCell(ctx context.Context, k Executor, i int, c *Cell, displays map[string][]Output, opts Options) *CellError {
	fail := func(ename, evalue string, err error) *CellError {
		return &CellError{Index: i, Number: i + 1, ID: c.ID, Ename: ename, Evalue: evalue, Excerpt: excerpt(c.Source), Err: err}
	}
	cctx := ctx
	if opts.CellTimeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, opts.CellTimeout)
		defer cancel()
	}
	rec := &recorder{cell: c, displays: displays}
	res, err := k.Execute(cctx, c.Source, client.ExecuteOptions{OnOutput: rec.add})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("timed out after %s (interrupted)", opts.CellTimeout)
		}
		return fail("", "", err)
	}
	if res.ExecutionCount > 0 {
		n := res.ExecutionCount
		c.ExecutionCount = &n
	}
	for _, o := range c.Outputs {
		if o.Type() == "execute_result" && c.ExecutionCount != nil {
			o["execution_count"] = *c.ExecutionCount
		}
	}
	if res.Status == "error" {
		ename, evalue := res.Ename, res.Evalue
		if ename == "" {
			ename = "Error"
		}
		return fail(ename, evalue, nil)
	}
	if res.Status != "ok" {
		return fail("", "", fmt.Errorf("kernel replied with status %q", res.Status))
	}
	return nil
}

// excerpt returns the first non-blank line of src, shortened.
func excerpt(src string) string {
	for _, l := range strings.Split(src, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if r := []rune(l); len(r) > 60 {
				l = string(r[:59]) + "…"
			}
			return l
		}
	}
	return ""
}

// recorder turns one cell's IOPub messages into nbformat outputs.
type recorder struct {
	cell       *Cell
	displays   map[string][]Output // display_id -> outputs showing it, across cells
	clearAtOut bool                // clear_output(wait=true) pending
}

func (r *recorder) add(o client.Output) {
	var content map[string]any
	if err := json.Unmarshal(o.Content, &content); err != nil {
		content = map[string]any{}
	}
	switch o.MsgType {
	case "clear_output":
		if w, _ := content["wait"].(bool); w {
			r.clearAtOut = true
		} else {
			r.cell.Outputs = []Output{}
		}
		return
	case "update_display_data":
		id := displayID(content)
		for _, out := range r.displays[id] {
			out["data"] = mapOr(content["data"])
			out["metadata"] = mapOr(content["metadata"])
		}
		return
	}
	var out Output
	switch o.MsgType {
	case "stream":
		name, _ := content["name"].(string)
		text, _ := content["text"].(string)
		if n := len(r.cell.Outputs); n > 0 && !r.clearAtOut {
			if last := r.cell.Outputs[n-1]; last.Type() == "stream" && last["name"] == name {
				last["text"] = last["text"].(string) + text
				return
			}
		}
		out = Output{"output_type": "stream", "name": name, "text": text}
	case "display_data":
		out = Output{"output_type": "display_data", "data": mapOr(content["data"]), "metadata": mapOr(content["metadata"])}
	case "execute_result":
		out = Output{"output_type": "execute_result", "data": mapOr(content["data"]), "metadata": mapOr(content["metadata"]), "execution_count": content["execution_count"]}
	case "error":
		tb, _ := content["traceback"].([]any)
		if tb == nil {
			tb = []any{}
		}
		out = Output{"output_type": "error", "ename": str(content["ename"]), "evalue": str(content["evalue"]), "traceback": tb}
	default:
		return // comm messages and the like are not notebook outputs
	}
	if r.clearAtOut {
		r.cell.Outputs = []Output{}
		r.clearAtOut = false
	}
	r.cell.Outputs = append(r.cell.Outputs, out)
	if id := displayID(content); id != "" && (o.MsgType == "display_data" || o.MsgType == "execute_result") {
		r.displays[id] = append(r.displays[id], out)
	}
}

func displayID(content map[string]any) string {
	t, _ := content["transient"].(map[string]any)
	id, _ := t["display_id"].(string)
	return id
}

func mapOr(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

func str(v any) string { s, _ := v.(string); return s }
