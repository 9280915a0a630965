package messaging

import (
	"bytes"
	"errors"
	"testing"
)

// splitFrames turns fuzz input into frames: frames are separated by 0xFF bytes.
func splitFrames(b []byte) [][]byte { return bytes.Split(b, []byte{0xFF}) }

func joinFrames(fs [][]byte) []byte { return bytes.Join(fs, []byte{0xFF}) }

// FuzzDecode feeds arbitrary frames to the envelope parser: it must never panic, and whatever it
// accepts must survive an encode/decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	c := Codec{Signer: NewSigner([]byte("fuzz-key"))}
	m, _ := NewMessage("s", "execute_request", nil, map[string]any{"code": "x := 1"})
	m.Identities = [][]byte{[]byte("id")}
	good, _ := c.Encode(m)
	f.Add(joinFrames(good))
	f.Add([]byte(Delimiter))
	f.Add(joinFrames([][]byte{[]byte(Delimiter), nil, []byte("{}"), []byte("{}"), []byte("{}"), []byte("{}")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, codec := range []Codec{c, {}} {
			got, err := codec.Decode(splitFrames(data))
			if err != nil {
				if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
					t.Fatalf("unclassified error: %v", err)
				}
				continue
			}
			frames, err := codec.Encode(got)
			if err != nil {
				t.Fatalf("re-encoding an accepted message: %v", err)
			}
			again, err := codec.Decode(frames)
			if err != nil {
				t.Fatalf("decoding a re-encoded message: %v", err)
			}
			if again.Header != got.Header {
				t.Fatalf("header changed in round trip: %+v != %+v", again.Header, got.Header)
			}
		}
	})
}

// FuzzVerify checks that only the exact signature of the exact parts verifies.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("key"), []byte(`{"msg_type":"execute_request"}`), []byte("{}"), []byte(""))
	f.Add([]byte(""), []byte("{}"), []byte("{}"), []byte("00"))
	f.Add([]byte("k"), []byte("a"), []byte("b"), []byte("2a31ec0ee8d878c9eece9fb0df79b3b90b2256240163aa5ee50d176d3d1121f8"))
	f.Fuzz(func(t *testing.T, key, header, content, sig []byte) {
		s := NewSigner(key)
		good := s.Sign(header, []byte("{}"), []byte("{}"), content)
		if !s.Verify([]byte(good), header, []byte("{}"), []byte("{}"), content) {
			t.Fatal("own signature rejected")
		}
		ok := s.Verify(sig, header, []byte("{}"), []byte("{}"), content)
		if s.Enabled() && ok && !bytes.EqualFold(sig, []byte(good)) {
			t.Fatalf("foreign signature %q accepted (want %s)", sig, good)
		}
		if !s.Enabled() && !ok {
			t.Fatal("empty key must accept any signature")
		}
	})
}

// FuzzReplay checks that whatever a replay-checking codec accepts once, it refuses the second
// time, and that it classifies every failure.
func FuzzReplay(f *testing.F) {
	c := Codec{Signer: NewSigner([]byte("fuzz-key"))}
	m, _ := NewMessage("s", "execute_request", nil, map[string]any{"code": "x := 1"})
	good, _ := c.Encode(m)
	f.Add(joinFrames(good))
	f.Add(bytes.ToUpper(joinFrames(good)))
	f.Fuzz(func(t *testing.T, data []byte) {
		rc := Codec{Signer: c.Signer, Replay: NewDigestHistory(4)}
		frames := splitFrames(data)
		_, err := rc.Decode(frames)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if _, err := rc.Decode(frames); !errors.Is(err, ErrReplay) {
			t.Fatalf("accepted message decoded again: %v, want ErrReplay", err)
		}
	})
}
