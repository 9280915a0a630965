// Package display is the rich-output API of gohunt notebooks. Cells call it without an import
// (display.HTML("<b>hi</b>")), and compiled code such as the hunt library calls it too, for
// example to update a progress bar in place.
//
// Output goes to a Sink that the kernel's worker session installs with SetSink; without a sink
// (a program that is not running inside the kernel) every call is a no-op, so library code can
// call display unconditionally.
//
// Values render by capability: a value with HTML() string, Markdown() string, SVG() string,
// PNG() []byte or MIMEBundle() map[string]any is shown as those MIME types, always with a
// text/plain fallback from String() or fmt.
package display

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"reflect"
	"sync"
)

// MIME types produced by Bundle.
const (
	MIMEText     = "text/plain"
	MIMEHTML     = "text/html"
	MIMEMarkdown = "text/markdown"
	MIMESVG      = "image/svg+xml"
	MIMEPNG      = "image/png"
)

// HTMLer is implemented by values that render as HTML.
type HTMLer interface{ HTML() string }

// Markdowner is implemented by values that render as Markdown.
type Markdowner interface{ Markdown() string }

// SVGer is implemented by values that render as an SVG document.
type SVGer interface{ SVG() string }

// PNGer is implemented by values that render as a PNG image (the raw bytes).
type PNGer interface{ PNG() []byte }

// MIMEBundler is implemented by values that render as several MIME types at once. The map is
// keyed by MIME type; string values are sent as they are, []byte values are base64-encoded,
// other values must marshal to JSON (for example application/json data).
type MIMEBundler interface{ MIMEBundle() map[string]any }

// Sink receives display output. The worker session implements it and sends each call to the
// notebook as a Jupyter display_data, update_display_data or clear_output message, in order
// with the cell's printed output. Implementations must be safe for concurrent use.
type Sink interface {
	// Display shows data (a MIME bundle) with its metadata. id is the display ID ("" for
	// none); update is true for update_display_data.
	Display(data, metadata map[string]any, id string, update bool)
	// Clear clears the cell's output; with wait, it clears when the next output arrives.
	Clear(wait bool)
}

var (
	mu   sync.RWMutex
	sink Sink
)

// SetSink installs the sink that receives all display output of the process and returns the
// previous one. The worker session calls it once at start; nil discards output.
func SetSink(s Sink) Sink {
	mu.Lock()
	defer mu.Unlock()
	old := sink
	sink = s
	return old
}

func current() Sink {
	mu.RLock()
	defer mu.RUnlock()
	return sink
}

// HTML shows the HTML fragment s as a display_data output.
func HTML(s string) { Data(map[string]any{MIMEHTML: s, MIMEText: "<HTML>"}) }

// Markdown shows the Markdown text s as a display_data output.
func Markdown(s string) { Data(map[string]any{MIMEMarkdown: s, MIMEText: s}) }

// SVG shows the SVG document s as a display_data output.
func SVG(s string) { Data(map[string]any{MIMESVG: s, MIMEText: "<SVG>"}) }

// PNG shows the PNG image b (raw bytes, not base64) as a display_data output.
func PNG(b []byte) {
	Data(map[string]any{MIMEPNG: base64.StdEncoding.EncodeToString(b), MIMEText: "<PNG image>"})
}

// Text shows s as plain text in a display_data output.
func Text(s string) { Data(map[string]any{MIMEText: s}) }

// Show shows v by capability (see Bundle) as a display_data output. If v has an Err() error
// method returning non-nil, the error is shown as text instead.
func Show(v any) { show(v, "", false) }

// ShowID shows v like Show under the display ID id, so that a later Update(id, ...) replaces it
// in place. Make an id with NewID.
func ShowID(id string, v any) { show(v, id, false) }

// Update replaces the output shown under the display ID id with v (update_display_data). It
// changes every output shown with that id, in any cell.
func Update(id string, v any) { show(v, id, true) }

// Data shows the MIME bundle data as a display_data output. String values are sent as they
// are; []byte values are base64-encoded.
func Data(data map[string]any) { emit(data, "", false) }

// DataID shows the MIME bundle data like Data under the display ID id (see ShowID).
func DataID(id string, data map[string]any) { emit(data, id, false) }

// UpdateData replaces the output shown under the display ID id with the MIME bundle data.
func UpdateData(id string, data map[string]any) { emit(data, id, true) }

// NewID returns a fresh random display ID for ShowID and Update.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "gohunt-" + hex.EncodeToString(b[:])
}

// Clear clears the output of the running cell. With wait, the output is cleared only when the
// next output arrives, which avoids flicker when redrawing.
func Clear(wait bool) {
	if s := current(); s != nil {
		s.Clear(wait)
	}
}

func show(v any, id string, update bool) {
	data, err := Bundle(v)
	if err != nil {
		data = map[string]any{MIMEText: "error: " + err.Error()}
	}
	emit(data, id, update)
}

func emit(data map[string]any, id string, update bool) {
	s := current()
	if s == nil {
		return
	}
	s.Display(normalize(data), map[string]any{}, id, update)
}

// normalize base64-encodes []byte values as Jupyter expects binary MIME data.
func normalize(data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		if b, ok := v.([]byte); ok {
			out[k] = base64.StdEncoding.EncodeToString(b)
			continue
		}
		out[k] = v
	}
	return out
}

// Errer is implemented by values that carry a deferred error, such as lazy hunt frames.
type Errer interface{ Err() error }

// Bundle returns the MIME bundle of v by capability: MIMEBundle(), HTML(), Markdown(), SVG(),
// PNG(), and always text/plain (from String(), Error() or fmt's %v). If v has an Err() error
// method that returns non-nil, Bundle returns that error and no bundle: the value is unusable.
// []byte values in the bundle are base64-encoded.
func Bundle(v any) (map[string]any, error) {
	if e, ok := v.(Errer); ok && !isNilPointer(v) {
		if err := e.Err(); err != nil {
			return nil, err
		}
	}
	data := map[string]any{}
	if isNilPointer(v) {
		data[MIMEText] = Plain(v)
		return data, nil
	}
	if b, ok := v.(MIMEBundler); ok {
		for k, x := range b.MIMEBundle() {
			data[k] = x
		}
	}
	if h, ok := v.(HTMLer); ok {
		data[MIMEHTML] = h.HTML()
	}
	if m, ok := v.(Markdowner); ok {
		data[MIMEMarkdown] = m.Markdown()
	}
	if s, ok := v.(SVGer); ok {
		data[MIMESVG] = s.SVG()
	}
	if p, ok := v.(PNGer); ok {
		data[MIMEPNG] = p.PNG()
	}
	if _, ok := data[MIMEText]; !ok {
		data[MIMEText] = Plain(v)
	}
	return normalize(data), nil
}

// Plain returns the text/plain form of v: String() or Error() when v has one, else fmt's %v,
// with strings quoted as Go source would write them.
func Plain(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return fmt.Sprintf("%q", x)
	case error:
		if isNilPointer(v) {
			return fmt.Sprintf("%v", v)
		}
		return x.Error()
	case fmt.Stringer:
		if isNilPointer(v) {
			return fmt.Sprintf("%v", v)
		}
		return x.String()
	}
	return fmt.Sprintf("%v", v)
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
