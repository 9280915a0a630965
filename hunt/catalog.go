package hunt

import (
	"strings"

	"github.com/gohunt/gohunt/hunt/session"
)

func init() { session.SetCatalog(registry{}) }

// registry is the session.Catalog of the tables registered with Register (SQL's views). It
// never opens the session's database: before any hunt call there are no tables.
type registry struct{}

// engine returns the session's engine, or nil when none is open.
func (registry) engine() *engine {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	return defaultEng
}

// Tables returns the registered names, as registered, sorted.
func (r registry) Tables() []string {
	e := r.engine()
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.regNames))
	for _, n := range e.regNames {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

// Columns returns the columns of the frame registered as name (any case), or nil.
func (r registry) Columns(name string) []string {
	e := r.engine()
	if e == nil {
		return nil
	}
	e.mu.Lock()
	f := e.reg[strings.ToLower(name)]
	e.mu.Unlock()
	if f == nil || f.err != nil {
		return nil
	}
	return f.Columns()
}
