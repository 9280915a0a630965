package messaging

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// Signer computes and checks the HMAC-SHA256 signature of a message: the hex digest of the
// serialized header, parent header, metadata and content, keyed by the connection key.
// The zero Signer (empty key) signs with "" and accepts any signature, as the spec says.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for key; an empty key means messages are unsigned.
func NewSigner(key []byte) Signer {
	return Signer{key: append([]byte(nil), key...)}
}

// Enabled reports whether messages are signed (the key is not empty).
func (s Signer) Enabled() bool { return len(s.key) > 0 }

// Sign returns the hex signature of parts, or "" when the key is empty.
func (s Signer) Sign(parts ...[]byte) string {
	if !s.Enabled() {
		return ""
	}
	return hex.EncodeToString(s.mac(parts))
}

// Verify reports whether sig is the signature of parts, comparing in constant time. With an
// empty key every signature is accepted.
func (s Signer) Verify(sig []byte, parts ...[]byte) bool {
	if !s.Enabled() {
		return true
	}
	want := s.mac(parts)
	got := make([]byte, hex.DecodedLen(len(sig)))
	n, err := hex.Decode(got, sig)
	if err != nil || n != len(want) {
		// Still spend the comparison so timing does not reveal the failure mode.
		hmac.Equal(want, want)
		return false
	}
	return hmac.Equal(got[:n], want)
}

func (s Signer) mac(parts [][]byte) []byte {
	var h hash.Hash = hmac.New(sha256.New, s.key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}
