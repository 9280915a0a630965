// Package session connects the hunt library to the process that runs it: the context of the
// running cell, under which every query, request and read of the library runs (so that an
// interrupt stops them), the display where long operations show their progress, and the end of
// the library's session state. The kernel worker sets the cell when one starts and closes the
// session when it shuts down; a program using hunt directly (a benchmark, a command) calls
// Close when it is done.
//
// Cells do not see this package: it is not among the packages the kernel preloads into the
// interpreter, so a cell can neither replace its own context nor close the database under the
// frames of later cells.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// Display is where the library shows progress, supplied by the kernel: Show shows v (a value
// with String and HTML methods) as a new output with display ID id, Update replaces what is
// shown under id. Both must be safe to call from any goroutine.
type Display interface {
	Show(id string, v any)
	Update(id string, v any)
}

type cell struct {
	ctx  context.Context
	disp Display

	mu      sync.Mutex
	endless []*endless
}

// endless is work of a cell that runs until the cell is interrupted (see UntilInterrupt).
type endless struct {
	done        chan struct{}
	note        string
	interrupted bool
}

var (
	current atomic.Pointer[cell]

	closeMu  sync.Mutex
	closers  []func() error
	sweepers []func(roots []reflect.Value)
)

// Begin makes ctx the running cell's context and d (nil for none) its display until the
// returned end function is called. The kernel runs one cell at a time.
func Begin(ctx context.Context, d Display) (end func()) {
	c := &cell{ctx: ctx, disp: d}
	current.Store(c)
	return func() { current.CompareAndSwap(c, nil) }
}

// Context returns the running cell's context, or context.Background() outside a cell.
func Context() context.Context {
	if c := current.Load(); c != nil && c.ctx != nil {
		return c.ctx
	}
	return context.Background()
}

// Show shows v under display ID id on the running cell's display; nothing without one.
func Show(id string, v any) {
	if c := current.Load(); c != nil && c.disp != nil {
		c.disp.Show(id, v)
	}
}

// Update replaces what is shown under id; nothing without a display.
func Update(id string, v any) {
	if c := current.Load(); c != nil && c.disp != nil {
		c.disp.Update(id, v)
	}
}

// UntilInterrupt registers, in the running cell, work whose normal end is the cell's interrupt
// (following live events until the user stops it). It returns finish, which the work calls
// once it has stopped: interrupted says whether the cell's interrupt stopped it, note is the
// line the cell ends with ("stopped after 12 events"; "" when the work showed it itself).
// Outside a cell finish does nothing.
func UntilInterrupt() (finish func(note string, interrupted bool)) {
	c := current.Load()
	if c == nil {
		return func(string, bool) {}
	}
	w := &endless{done: make(chan struct{})}
	c.mu.Lock()
	c.endless = append(c.endless, w)
	c.mu.Unlock()
	var once sync.Once
	return func(note string, interrupted bool) {
		once.Do(func() {
			c.mu.Lock()
			w.note, w.interrupted = note, interrupted
			c.mu.Unlock()
			close(w.done)
		})
	}
}

// InterruptEnded is asked by the kernel when the running cell's context was cancelled: it
// waits (at most wait) for the cell's work registered with UntilInterrupt to stop, and reports
// whether the interrupt was the normal end of such work, with the notes to show. When ok is
// false the interrupt fails the cell as usual.
func InterruptEnded(wait time.Duration) (notes []string, ok bool) {
	c := current.Load()
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	ws := append([]*endless(nil), c.endless...)
	c.mu.Unlock()
	deadline := time.After(wait)
	for _, w := range ws {
		select {
		case <-w.done:
		case <-deadline:
			return nil, false
		}
		c.mu.Lock()
		if w.interrupted {
			ok = true
			if w.note != "" {
				notes = append(notes, w.note)
			}
		}
		c.mu.Unlock()
	}
	return notes, ok
}

// NewID returns a fresh random display ID.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "gohunt-" + hex.EncodeToString(b[:])
}

// OnClose registers fn to run at Close (the library registers the closing of its database).
func OnClose(fn func() error) {
	closeMu.Lock()
	closers = append(closers, fn)
	closeMu.Unlock()
}

// Close ends the session's state: it runs every function registered with OnClose (the
// database is closed and its temporary files deleted) and returns their errors joined. Frames
// made before fail afterwards; the next library call starts a fresh session.
func Close() error {
	closeMu.Lock()
	fns := append([]func() error(nil), closers...)
	closeMu.Unlock()
	var errs []error
	for _, fn := range fns {
		if err := fn(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// OnSweep registers fn to run at Sweep (the library registers the dropping of the tables that
// no frame reachable from the roots reads).
func OnSweep(fn func(roots []reflect.Value)) {
	closeMu.Lock()
	sweepers = append(sweepers, fn)
	closeMu.Unlock()
}

// Sweep tells the library which values the session's variables hold after a cell: state that
// none of them reaches (the table a frame read, when every variable holding that frame was
// reassigned) is freed. An interpreter may keep values it no longer names (yaegi keeps the
// slot of a variable declared again with :=, and the temporaries of every top-level
// statement), so the garbage collector alone cannot tell. Values held only inside closures or
// goroutines are not seen: a frame kept that way fails once its table is freed.
func Sweep(roots []reflect.Value) {
	closeMu.Lock()
	fns := make([]func([]reflect.Value), len(sweepers))
	copy(fns, sweepers)
	closeMu.Unlock()
	for _, fn := range fns {
		fn(roots)
	}
}

// Catalog names what SQL over the library can read: the registered tables (views) and their
// columns. Both methods must be safe to call from any goroutine, while a cell runs, and must not
// start a database or a query that did not exist: completion asks them on every Tab.
type Catalog interface {
	// Tables returns the registered table names, as registered, sorted.
	Tables() []string
	// Columns returns the column names of the registered table name (matched without regard
	// to case), or nil when there is no such table.
	Columns(name string) []string
}

var catalog atomic.Pointer[Catalog]

// SetCatalog makes c the catalog the kernel completes SQL against (the library sets its own).
func SetCatalog(c Catalog) { catalog.Store(&c) }

// CurrentCatalog returns the catalog set by SetCatalog, or nil when none is.
func CurrentCatalog() Catalog {
	if c := catalog.Load(); c != nil {
		return *c
	}
	return nil
}
