package sigma

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Part is one piece of a Sigma string value: literal text, or a wildcard (Wild is '*' for any
// run of characters, '?' for exactly one character).
type Part struct {
	Lit  string
	Wild rune
}

// Pattern is a Sigma string value as literal parts and wildcards.
type Pattern []Part

// parsePattern reads a Sigma string: * and ? are wildcards; a backslash escapes *, ? and
// itself; a backslash before any other character (or at the end) is a plain backslash. These are
// the specification's rules, which pySigma's SigmaString implements the same way.
func parsePattern(s string) Pattern {
	var p Pattern
	var acc strings.Builder
	flush := func() {
		if acc.Len() > 0 {
			p = append(p, Part{Lit: acc.String()})
			acc.Reset()
		}
	}
	escaped := false
	for _, c := range s {
		switch {
		case escaped:
			if c != '*' && c != '?' && c != '\\' {
				acc.WriteByte('\\')
			}
			acc.WriteRune(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '*' || c == '?':
			flush()
			p = append(p, Part{Wild: c})
		default:
			acc.WriteRune(c)
		}
	}
	if escaped {
		acc.WriteByte('\\')
	}
	flush()
	return p
}

// literal returns a pattern of the plain text s (no wildcards).
func literal(s string) Pattern {
	if s == "" {
		return Pattern{}
	}
	return Pattern{{Lit: s}}
}

// hasWild reports whether p holds a wildcard.
func (p Pattern) hasWild() bool {
	for _, x := range p {
		if x.Wild != 0 {
			return true
		}
	}
	return false
}

// starEnds returns where p's leading '*'s end and its trailing ones begin: p[lead:trail] is the
// pattern without them.
func (p Pattern) starEnds() (lead, trail int) {
	lead, trail = 0, len(p)
	for lead < len(p) && p[lead].Wild == '*' {
		lead++
	}
	for trail > lead && p[trail-1].Wild == '*' {
		trail--
	}
	return lead, trail
}

// Plain returns the text of a pattern without wildcards, and false when it has any.
func (p Pattern) Plain() (string, bool) {
	var b strings.Builder
	for _, x := range p {
		if x.Wild != 0 {
			return "", false
		}
		b.WriteString(x.Lit)
	}
	return b.String(), true
}

// String writes the pattern back in Sigma syntax.
func (p Pattern) String() string {
	var b strings.Builder
	for _, x := range p {
		if x.Wild != 0 {
			b.WriteRune(x.Wild)
			continue
		}
		for _, c := range x.Lit {
			if c == '*' || c == '?' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (p Pattern) startsWithStar() bool { return len(p) > 0 && p[0].Wild == '*' }
func (p Pattern) endsWithStar() bool   { return len(p) > 0 && p[len(p)-1].Wild == '*' }

func (p Pattern) clone() Pattern { return append(Pattern(nil), p...) }

// Like returns p as a SQL LIKE pattern with backslash as the escape character.
func (p Pattern) Like() string {
	var b strings.Builder
	for _, x := range p {
		switch x.Wild {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		default:
			for _, c := range x.Lit {
				if c == '%' || c == '_' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteRune(c)
			}
		}
	}
	return b.String()
}

// Regexp returns p as an anchored RE2 regular expression.
func (p Pattern) Regexp() string {
	var b strings.Builder
	b.WriteString("^")
	for _, x := range p {
		switch x.Wild {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexpQuote(x.Lit))
		}
	}
	b.WriteString("$")
	return b.String()
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mapLits applies f to every literal part; f may fail.
func (p Pattern) mapLits(f func(string) (string, error)) (Pattern, error) {
	out := make(Pattern, len(p))
	for i, x := range p {
		if x.Wild != 0 {
			out[i] = x
			continue
		}
		s, err := f(x.Lit)
		if err != nil {
			return nil, err
		}
		out[i] = Part{Lit: s}
	}
	return out, nil
}

// utf16Lit encodes s as UTF-16 (little or big endian) and reads the bytes back as characters
// one to one where they are ASCII, as pySigma's wide, utf16le and utf16be modifiers do: each
// ASCII character becomes the character and a NUL. A code unit whose bytes are not valid UTF-8
// on their own (any non-ASCII character) is refused, as pySigma refuses it.
func utf16Lit(s string, big bool) (string, error) {
	var raw []byte
	for _, u := range utf16.Encode([]rune(s)) {
		hi, lo := byte(u>>8), byte(u)
		if big {
			raw = append(raw, hi, lo)
		} else {
			raw = append(raw, lo, hi)
		}
	}
	if !utf8.Valid(raw) {
		return "", fmt.Errorf("UTF-16 encoding of %q is not valid text (only ASCII values can be matched this way)", s)
	}
	return string(raw), nil
}

// base64Offsets returns the three base64 forms of b at the offsets 0, 1 and 2 in a longer
// encoded text, exactly as pySigma's base64offset modifier cuts them.
func base64Offsets(b []byte) []string {
	start := []int{0, 2, 3}
	endCut := []int{0, -3, -2} // 0 means none
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), b...))
		e := len(enc)
		if c := endCut[(len(b)+i)%3]; c != 0 {
			e += c
		}
		s := start[i]
		if s > e {
			s = e
		}
		out = append(out, enc[s:e])
	}
	return out
}

// windashVariants expands every '-' or '/' that starts a word (a non-word position before it,
// a word character after it; Python's \B[-/]\b) into -, /, en dash, em dash and horizontal bar,
// in every combination, as pySigma's windash modifier does. Wildcards end literal parts, and
// each part is looked at alone, as pySigma does.
func windashVariants(p Pattern) []Pattern {
	dashes := []string{"-", "/", "\u2013", "\u2014", "\u2015"}
	type slot struct{ part, pos int }
	var slots []slot
	for i, x := range p {
		if x.Wild != 0 {
			continue
		}
		rs := []rune(x.Lit)
		for j, c := range rs {
			if c != '-' && c != '/' {
				continue
			}
			// \B before: the previous character is not a word character (or none), since the
			// dash itself is not one.
			if j > 0 && isWord(rs[j-1]) {
				continue
			}
			if j+1 >= len(rs) || !isWord(rs[j+1]) {
				continue
			}
			slots = append(slots, slot{i, j})
		}
	}
	if len(slots) == 0 {
		return []Pattern{p}
	}
	n := 1
	for range slots {
		n *= len(dashes)
	}
	out := make([]Pattern, 0, n)
	choice := make([]int, len(slots))
	for k := 0; k < n; k++ {
		v := k
		for s := len(slots) - 1; s >= 0; s-- {
			choice[s] = v % len(dashes)
			v /= len(dashes)
		}
		q := p.clone()
		runes := map[int][]rune{}
		for s, sl := range slots {
			rs, ok := runes[sl.part]
			if !ok {
				rs = []rune(p[sl.part].Lit)
			}
			r, _ := utf8.DecodeRuneInString(dashes[choice[s]])
			rs[sl.pos] = r
			runes[sl.part] = rs
		}
		for i, rs := range runes {
			q[i] = Part{Lit: string(rs)}
		}
		out = append(out, q)
	}
	return out
}

func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// cidrPatterns expands a network into wildcard patterns over the textual address, with
// pySigma's algorithm: IPv4 networks align to whole octets, IPv6 networks to hex digits of the
// compressed form.
func cidrPatterns(s string) ([]Pattern, error) {
	pfx, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		// A bare address is a single-host network.
		a, aerr := netip.ParseAddr(strings.TrimSpace(s))
		if aerr != nil {
			return nil, fmt.Errorf("cidr: %q is not an IP network: %v", s, err)
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if pfx.Masked() != pfx {
		return nil, fmt.Errorf("cidr: %q has host bits set (network is %s)", s, pfx.Masked())
	}
	star := Part{Wild: '*'}
	var out []Pattern
	if pfx.Addr().Is4() {
		diff := (8 - pfx.Bits()%8) % 8
		for _, sub := range subnets(pfx, diff) {
			g := sub.Bits() / 8
			groups := strings.Split(sub.Addr().String(), ".")
			switch {
			case g == 0:
				out = append(out, Pattern{star})
			case g < 4:
				out = append(out, Pattern{{Lit: strings.Join(groups[:g], ".") + "."}, star})
			default:
				out = append(out, literal(sub.Addr().String()))
			}
		}
		return out, nil
	}
	diff := (4 - pfx.Bits()%4) % 4
	for _, sub := range subnets(pfx, diff) {
		first := sub.Addr().String()
		last := lastAddr(sub).String()
		if first == last {
			out = append(out, literal(first))
			continue
		}
		i := 0
		for i < len(first) && i < len(last) && first[i] == last[i] {
			i++
		}
		full := sub.String()
		if i > len(full) {
			i = len(full)
		}
		out = append(out, Pattern{{Lit: full[:i]}, star})
	}
	return out, nil
}

// subnets splits p into its 2^extra subnets of prefix length p.Bits()+extra, in order.
func subnets(p netip.Prefix, extra int) []netip.Prefix {
	bits := p.Addr().BitLen()
	base := new(big.Int).SetBytes(p.Addr().AsSlice())
	n := 1 << extra
	out := make([]netip.Prefix, 0, n)
	for k := 0; k < n; k++ {
		v := new(big.Int).Lsh(big.NewInt(int64(k)), uint(bits-p.Bits()-extra))
		v.Or(v, base)
		b := v.FillBytes(make([]byte, bits/8))
		a, _ := netip.AddrFromSlice(b)
		out = append(out, netip.PrefixFrom(a, p.Bits()+extra))
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	bits := p.Addr().BitLen()
	v := new(big.Int).SetBytes(p.Addr().AsSlice())
	host := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits-p.Bits())), big.NewInt(1))
	v.Or(v, host)
	a, _ := netip.AddrFromSlice(v.FillBytes(make([]byte, bits/8)))
	return a
}

// numberText renders a YAML number the way pySigma writes it into a query.
func numberText(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
