// Package symbols holds the yaegi symbol tables of the packages gohunt preloads into every
// cell (kernel/display and hunt), and the documentation of their exported names.
//
// The tables are generated: run `go generate ./kernel/symbols` after changing an exported name
// or doc comment of those packages; TestGeneratedUpToDate fails when they are stale.
package symbols

//go:generate go run ./gen -o . github.com/gohunt/gohunt/kernel/display github.com/gohunt/gohunt/hunt

import (
	_ "embed"
	"encoding/json"
	"reflect"
)

// Symbols maps "importpath/pkgname" to the exported symbols of that package, for interp.Use.
var Symbols = map[string]map[string]reflect.Value{}

//go:embed docs.json
var docsJSON []byte

// Doc is the documentation of one exported name.
type Doc struct {
	Signature string `json:"signature"` // the declaration without body, as Go source
	Doc       string `json:"doc"`       // the doc comment
}

// Docs returns the documentation of the preloaded packages keyed "pkg", "pkg.Name" and
// "pkg.Type.Method" (for example "display.HTML").
func Docs() map[string]Doc {
	m := map[string]Doc{}
	_ = json.Unmarshal(docsJSON, &m) // generated file, checked by TestGeneratedUpToDate
	return m
}
