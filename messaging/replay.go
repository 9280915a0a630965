package messaging

import (
	"encoding/hex"
	"errors"
	"sync"
)

// ErrReplay means a message carries the signature of a message already received in this
// session: someone resent captured bytes. Such a message must be dropped (and logged).
var ErrReplay = errors.New("message signature already seen in this session (replayed message)")

// DefaultDigestHistory is how many recent signatures a kernel remembers to refuse replays,
// as ipykernel's Session does (digest_history_size, 2^16).
const DefaultDigestHistory = 1 << 16

// DigestHistory remembers the signatures of the newest messages a session accepted, so that
// the same signed message is acted on once. It holds at most its size; the oldest signature
// is forgotten first. It is safe for concurrent use, so the sockets of one kernel share it.
type DigestHistory struct {
	mu   sync.Mutex
	ring [][32]byte
	next int // the ring slot the next new digest goes to
	full bool
	seen map[[32]byte]struct{}
}

// NewDigestHistory returns a DigestHistory that remembers the newest size signatures
// (size <= 0 means DefaultDigestHistory).
func NewDigestHistory(size int) *DigestHistory {
	if size <= 0 {
		size = DefaultDigestHistory
	}
	return &DigestHistory{ring: make([][32]byte, size), seen: make(map[[32]byte]struct{}, size)}
}

// Add records the hex signature sig and reports whether it is new. Signatures are compared as
// the digests they encode, so a change of hex case is the same signature. A sig that is not a
// 32-byte hex digest is never recorded and reports true: Signer.Verify rejects it anyway.
func (d *DigestHistory) Add(sig []byte) bool {
	var key [32]byte
	if hex.DecodedLen(len(sig)) != len(key) {
		return true
	}
	if _, err := hex.Decode(key[:], sig); err != nil {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.seen[key]; dup {
		return false
	}
	if d.full {
		delete(d.seen, d.ring[d.next])
	}
	d.ring[d.next] = key
	d.seen[key] = struct{}{}
	d.next++
	if d.next == len(d.ring) {
		d.next, d.full = 0, true
	}
	return true
}
