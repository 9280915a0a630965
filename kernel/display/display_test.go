package display

import (
	"errors"
	"reflect"
	"sync"
	"testing"
)

type recorder struct {
	mu     sync.Mutex
	shown  []map[string]any
	ids    []string
	update []bool
	clears []bool
}

func (r *recorder) Display(data, metadata map[string]any, id string, update bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shown = append(r.shown, data)
	r.ids = append(r.ids, id)
	r.update = append(r.update, update)
}

func (r *recorder) Clear(wait bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clears = append(r.clears, wait)
}

type page struct{}

func (page) HTML() string     { return "<p>x</p>" }
func (page) Markdown() string { return "x" }
func (page) String() string   { return "page" }

type img struct{}

func (img) PNG() []byte { return []byte("ab") }
func (img) SVG() string { return "<svg/>" }

type lazy struct{ err error }

func (l lazy) Err() error      { return l.err }
func (l lazy) HTML() string    { return "<table/>" }
func (l *lazy) String() string { return "lazy" }

func TestBundle(t *testing.T) {
	cases := []struct {
		v    any
		want map[string]any
	}{
		{page{}, map[string]any{MIMEHTML: "<p>x</p>", MIMEMarkdown: "x", MIMEText: "page"}},
		{img{}, map[string]any{MIMEPNG: "YWI=", MIMESVG: "<svg/>", MIMEText: "{}"}},
		{42, map[string]any{MIMEText: "42"}},
		{"s", map[string]any{MIMEText: `"s"`}},
		{nil, map[string]any{MIMEText: "<nil>"}},
		{(*lazy)(nil), map[string]any{MIMEText: "lazy"}},
		{errors.New("e"), map[string]any{MIMEText: "e"}},
		{lazy{}, map[string]any{MIMEHTML: "<table/>", MIMEText: "{<nil>}"}},
	}
	for _, c := range cases {
		got, err := Bundle(c.v)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Bundle(%#v) = %v, %v; want %v", c.v, got, err, c.want)
		}
	}
	if _, err := Bundle(lazy{err: errors.New("bad column")}); err == nil || err.Error() != "bad column" {
		t.Fatalf("Err() contract: %v", err)
	}
}

func TestSink(t *testing.T) {
	HTML("ignored without a sink") // no sink: a no-op, no panic
	r := &recorder{}
	old := SetSink(r)
	defer SetSink(old)
	HTML("<b>")
	Markdown("*m*")
	id := NewID()
	ShowID(id, page{})
	Update(id, 7)
	PNG([]byte("ab"))
	Clear(true)
	Show(lazy{err: errors.New("bad")})
	if len(r.shown) != 6 || r.ids[2] != id || r.ids[3] != id || !r.update[3] || r.update[2] {
		t.Fatalf("recorded %v %v %v", r.shown, r.ids, r.update)
	}
	if r.shown[0][MIMEHTML] != "<b>" || r.shown[1][MIMEMarkdown] != "*m*" || r.shown[3][MIMEText] != "7" || r.shown[4][MIMEPNG] != "YWI=" {
		t.Fatalf("data %v", r.shown)
	}
	if r.shown[5][MIMEText] != "error: bad" {
		t.Fatalf("Show of a failed value: %v", r.shown[5])
	}
	if len(r.clears) != 1 || !r.clears[0] {
		t.Fatalf("clears %v", r.clears)
	}
	if NewID() == id {
		t.Fatal("NewID repeats")
	}
}
