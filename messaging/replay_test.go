package messaging

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestDigestHistoryRefusesRepeatsAndForgetsOldest(t *testing.T) {
	s := NewSigner([]byte("k"))
	sig := func(i int) []byte { return []byte(s.Sign([]byte(fmt.Sprint(i)))) }
	d := NewDigestHistory(3)
	for i := range 3 {
		if !d.Add(sig(i)) {
			t.Fatalf("signature %d refused the first time", i)
		}
	}
	if d.Add(sig(1)) || d.Add(bytes.ToUpper(sig(2))) {
		t.Fatal("a repeated signature (or the same digest in upper case) was accepted")
	}
	if !d.Add(sig(3)) { // evicts 0, the oldest
		t.Fatal("a new signature was refused")
	}
	if !d.Add(sig(0)) {
		t.Fatal("the oldest signature was not forgotten when the history was full")
	}
	if d.Add(sig(3)) {
		t.Fatal("a signature still held was accepted again")
	}
	if len(d.seen) != 3 {
		t.Fatalf("history holds %d digests, want its size 3", len(d.seen))
	}
}

func TestCodecRefusesReplay(t *testing.T) {
	c := Codec{Signer: NewSigner([]byte("key")), Replay: NewDigestHistory(0)}
	m, _ := NewMessage("s", "execute_request", nil, map[string]any{"code": "1"})
	frames, _ := c.Encode(m)
	if _, err := c.Decode(frames); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decode(frames); !errors.Is(err, ErrReplay) {
		t.Fatalf("second decode of the same frames: %v, want ErrReplay", err)
	}
	// A forged copy is a bad signature, and does not poison the history.
	forged := append([][]byte(nil), frames...)
	forged[1] = bytes.Repeat([]byte("0"), 64)
	if _, err := c.Decode(forged); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged: %v", err)
	}
	// Unsigned sessions (empty key) have no signatures to compare: no replay check.
	u := Codec{Replay: NewDigestHistory(0)}
	uf, _ := u.Encode(m)
	for range 2 {
		if _, err := u.Decode(uf); err != nil {
			t.Fatalf("unsigned: %v", err)
		}
	}
}
