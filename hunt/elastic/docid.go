package elastic

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// DocumentID returns the document id Load gives the event line raw (a JSON object, without
// surrounding space): 20 bytes written as unpadded base64url (27 characters, which
// Elasticsearch stores as the 20 bytes). When the object has a top-level "@timestamp"
// string in RFC 3339 form, the first 6 bytes are its milliseconds since 1970 (big-endian)
// and the other 14 the start of the line's SHA-256; otherwise all 20 are the start of the
// SHA-256. The same line always gets the same id, so loading it again finds the document
// already present instead of indexing it twice.
//
// Why the time first: before indexing a document with a given id, Elasticsearch looks the id
// up in every segment of the shard. A segment's terms index rules out at once an id whose
// prefix it holds no term under; ids that start with the event time, loaded roughly in time
// order, fall outside most segments' prefixes, where random hashes reach into the term
// blocks of every segment.
func DocumentID(raw []byte) string {
	sum := sha256.Sum256(raw)
	var id [20]byte
	if ms, ok := eventMillis(raw); ok {
		binary.BigEndian.PutUint16(id[0:2], uint16(ms>>32))
		binary.BigEndian.PutUint32(id[2:6], uint32(ms))
		copy(id[6:], sum[:14])
	} else {
		copy(id[:], sum[:20])
	}
	return base64.RawURLEncoding.EncodeToString(id[:])
}

var timestampKey = []byte(`"@timestamp"`)

// eventMillis returns the milliseconds since 1970 of raw's top-level "@timestamp" string
// (RFC 3339, as time.RFC3339Nano parses it), when there is one and it lies between 1970 and
// the year 10889 (6 bytes of milliseconds). raw must be valid JSON (Load checks it first).
// Only the bytes up to the key are walked, so that a timestamp near the start of a long
// event costs little.
func eventMillis(raw []byte) (int64, bool) {
	depth, inString := 0, false
	var last byte     // the last byte outside strings that is not space
	pos, from := 0, 0 // walked up to pos; search for the key from from (pos <= from)
	for {
		k := bytes.Index(raw[from:], timestampKey)
		if k < 0 {
			return 0, false
		}
		k += from
		for ; pos < k; pos++ {
			c := raw[pos]
			if inString {
				switch c {
				case '\\':
					pos++ // the escaped byte; may step onto k, which is then no key
				case '"':
					inString = false
					last = '"'
				}
				continue
			}
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			last = c
		}
		if pos == k && !inString && depth == 1 && (last == '{' || last == ',') {
			if ms, ok := timestampValue(raw[k+len(timestampKey):]); ok {
				return ms, true
			}
			return 0, false // the first top-level @timestamp decides (Elasticsearch keeps no duplicate keys)
		}
		// Not a top-level key: search on after it; the walk goes on from pos (the key's own
		// quote opens or closes a string).
		from = max(pos, k+1)
	}
}

// timestampValue parses the value after a "@timestamp" key: `: "2020-09-21T19:03:50.542Z"`.
func timestampValue(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i >= len(b) || b[i] != ':' {
		return 0, false
	}
	i++
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	v := b[i+1:]
	end := bytes.IndexByte(v, '"')
	if end < 0 || end > 64 || bytes.IndexByte(v[:end], '\\') >= 0 {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(v[:end]))
	if err != nil {
		return 0, false
	}
	ms := t.UnixMilli()
	if ms < 0 || ms >= 1<<48 {
		return 0, false
	}
	return ms, true
}
