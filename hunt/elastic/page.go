package elastic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// parsePage reads a search response without decoding the documents: it walks the JSON
// structure, decodes the small metadata values (pit_id, timed_out, _shards, hits.total) and
// keeps each hit's _source and sort as byte slices of page. It is several times faster than
// encoding/json on pages of thousands of documents, and the documents are validated later by
// whoever parses them.
func parsePage(page []byte, out *pageResp) error {
	p := &jparser{b: page}
	if err := p.object(func(key string) error {
		switch key {
		case "pit_id":
			return p.decode(&out.PitID)
		case "timed_out":
			return p.decode(&out.TimedOut)
		case "_shards":
			return p.decode(&out.Shards)
		case "hits":
			return p.object(func(key string) error {
				switch key {
				case "total":
					return p.decode(&out.Hits.Total)
				case "hits":
					return p.array(func() error {
						var h hit
						err := p.object(func(key string) error {
							start := p.ws()
							if err := p.skip(); err != nil {
								return err
							}
							switch key {
							case "_source":
								h.Source = json.RawMessage(page[start:p.i])
							case "sort":
								// Only a page's last sort values are used (search_after):
								// keep the bytes, they are validated when sent back.
								h.Sort = json.RawMessage(page[start:p.i])
							}
							return nil
						})
						out.Hits.Hits = append(out.Hits.Hits, h)
						return err
					})
				}
				return p.skip()
			})
		}
		return p.skip()
	}); err != nil {
		return fmt.Errorf("reading search response: %w", err)
	}
	return nil
}

type jparser struct {
	b []byte
	i int
}

var errSyntax = errors.New("malformed JSON")

func (p *jparser) ws() int {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return p.i
		}
	}
	return p.i
}

func (p *jparser) decode(v any) error {
	start := p.ws()
	if err := p.skip(); err != nil {
		return err
	}
	return json.Unmarshal(p.b[start:p.i], v)
}

func (p *jparser) expect(c byte) error {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != c {
		return fmt.Errorf("%w at offset %d: want %q", errSyntax, p.i, c)
	}
	p.i++
	return nil
}

func (p *jparser) str() (string, error) {
	start := p.ws()
	if err := p.skipString(); err != nil {
		return "", err
	}
	if raw := p.b[start+1 : p.i-1]; bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil // no escapes: the bytes are the key
	}
	var s string
	if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
		return "", err
	}
	return s, nil
}

func (p *jparser) object(field func(key string) error) error {
	return p.list('{', '}', func() error {
		k, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		return field(k)
	})
}

func (p *jparser) array(elem func() error) error {
	return p.list('[', ']', elem)
}

// list parses open, zero or more items separated by commas, and close, calling item for each.
func (p *jparser) list(open, close byte, item func() error) error {
	if err := p.expect(open); err != nil {
		return err
	}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == close {
		p.i++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return errSyntax
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case close:
			p.i++
			return nil
		default:
			return fmt.Errorf("%w at offset %d", errSyntax, p.i)
		}
	}
}

func (p *jparser) skipString() error {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return fmt.Errorf("%w at offset %d: want a string", errSyntax, p.i)
	}
	p.i++
	for {
		// The string ends at the first quote preceded by an even number of backslashes.
		q := bytes.IndexByte(p.b[p.i:], '"')
		if q < 0 {
			p.i = len(p.b)
			return fmt.Errorf("%w: unterminated string", errSyntax)
		}
		q += p.i
		k := q
		for k > p.i && p.b[k-1] == '\\' {
			k--
		}
		p.i = q + 1
		if (q-k)%2 == 0 {
			return nil
		}
	}
}

// skip moves past one value (objects and arrays by bracket depth, strings with escapes).
func (p *jparser) skip() error {
	p.ws()
	if p.i >= len(p.b) {
		return fmt.Errorf("%w: unexpected end", errSyntax)
	}
	switch p.b[p.i] {
	case '"':
		return p.skipString()
	case '{', '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if err := p.skipString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return nil
				}
			}
			p.i++
		}
		return fmt.Errorf("%w: unterminated value", errSyntax)
	default:
		start := p.i
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if p.i == start {
					return fmt.Errorf("%w at offset %d", errSyntax, p.i)
				}
				return nil
			}
			p.i++
		}
		return nil
	}
}
