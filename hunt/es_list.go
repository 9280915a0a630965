package hunt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// listify finishes a loader of Elasticsearch documents. A mapping does not say which fields
// hold arrays, and Elasticsearch accepts a single value or an array for any field; the JSON
// loader reads a field that is an array in some documents and a single value in others as
// JSON text. listify finds such fields (only fields of mixed kinds are candidates, so the
// common case costs nothing more) and reloads the documents with each single value wrapped in
// a one-element array, so that the field becomes a list column, as Spark's
// es.read.field.as.array.include would make it, without the user naming it.
func listify(e *engine, ld *streamLoader) (*Frame, error) {
	var cands [][]string
	var walk func(fl *jfield, path []string)
	walk = func(fl *jfield, path []string) {
		for _, c := range fl.children {
			p := append(append([]string(nil), path...), c.key)
			switch c.kind {
			case jText:
				cands = append(cands, p)
			case jObject:
				walk(c, p)
			}
		}
	}
	walk(ld.ld.scan.root, nil)
	if len(cands) == 0 {
		return ld.frame()
	}
	if err := ld.seal(); err != nil {
		ld.discard()
		return nil, err
	}
	lists := map[int]bool{}
	err := eachLine(ld.files(), func(line []byte) error {
		doc, err := decodeDoc(line)
		if err != nil {
			return err
		}
		for i, p := range cands {
			if v, ok := lookup(doc, p); ok {
				if _, isList := v.([]any); isList {
					lists[i] = true
				}
			}
		}
		return nil
	})
	if err != nil || len(lists) == 0 {
		if err != nil {
			ld.discard()
			return nil, err
		}
		return ld.frame()
	}
	ld2 := newJSONLoader(e, ld.ld.cfg)
	n := 0
	err = eachLine(ld.files(), func(line []byte) error {
		n++
		doc, err := decodeDoc(line)
		if err != nil {
			return err
		}
		for i := range lists {
			wrap(doc, cands[i])
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		return ld2.addLine(b, fmt.Sprintf("document %d", n))
	})
	ld.discard()
	if err != nil {
		ld2.discard()
		return nil, err
	}
	return ld2.frame()
}

// eachLine calls fn with every line of the files, in order.
func eachLine(paths []string, fn func([]byte) error) error {
	for _, path := range paths {
		if err := eachFileLine(path, fn); err != nil {
			return err
		}
	}
	return nil
}

func eachFileLine(path string, fn func([]byte) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("hunt: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}

func decodeDoc(line []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("hunt: re-reading documents: %w", err)
	}
	return m, nil
}

func lookup(doc map[string]any, path []string) (any, bool) {
	var cur any = doc
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// wrap turns a single non-null value at path into a one-element array.
func wrap(doc map[string]any, path []string) {
	m := doc
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	k := path[len(path)-1]
	v, ok := m[k]
	if !ok || v == nil {
		return
	}
	if _, isList := v.([]any); !isList {
		m[k] = []any{v}
	}
}
