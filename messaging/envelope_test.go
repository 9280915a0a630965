package messaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func testMessage(t *testing.T) *Message {
	t.Helper()
	m, err := NewMessage("sess", "execute_request", nil, map[string]any{"code": "1+1"})
	if err != nil {
		t.Fatal(err)
	}
	m.Identities = [][]byte{[]byte("peer-1"), []byte("peer-2")}
	m.Buffers = [][]byte{[]byte("buf")}
	return m
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	c := Codec{Signer: NewSigner([]byte("secret"))}
	m := testMessage(t)
	frames, err := c.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(frames[2]) != Delimiter {
		t.Fatalf("frame 2 = %q, want delimiter", frames[2])
	}
	got, err := c.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header != m.Header {
		t.Errorf("header = %+v, want %+v", got.Header, m.Header)
	}
	if len(got.Identities) != 2 || string(got.Identities[1]) != "peer-2" {
		t.Errorf("identities = %q", got.Identities)
	}
	if len(got.Buffers) != 1 || string(got.Buffers[0]) != "buf" {
		t.Errorf("buffers = %q", got.Buffers)
	}
	var content struct{ Code string }
	if err := got.DecodeContent(&content); err != nil || content.Code != "1+1" {
		t.Errorf("content = %+v, %v", content, err)
	}
}

func TestDecodeRejectsBadSignatures(t *testing.T) {
	c := Codec{Signer: NewSigner([]byte("secret"))}
	frames, err := c.Encode(testMessage(t))
	if err != nil {
		t.Fatal(err)
	}
	sigAt := 3
	cases := map[string]func([][]byte){
		"missing":      func(f [][]byte) { f[sigAt] = nil },
		"not hex":      func(f [][]byte) { f[sigAt] = []byte("zz") },
		"wrong":        func(f [][]byte) { f[sigAt] = bytes.Repeat([]byte("0"), 64) },
		"truncated":    func(f [][]byte) { f[sigAt] = f[sigAt][:10] },
		"content edit": func(f [][]byte) { f[7] = []byte(`{"code":"os.Exit(1)"}`) },
		"header edit":  func(f [][]byte) { f[4] = bytes.Replace(f[4], []byte("execute"), []byte("shutdown"), 1) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			f := copyFrames(frames)
			mutate(f)
			if _, err := c.Decode(f); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Decode = %v, want ErrBadSignature", err)
			}
		})
	}
	// Signed with another key.
	other := Codec{Signer: NewSigner([]byte("other"))}
	f2, _ := other.Encode(testMessage(t))
	if _, err := c.Decode(f2); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other key: Decode = %v, want ErrBadSignature", err)
	}
}

func TestEmptyKeyMeansUnsigned(t *testing.T) {
	c := Codec{}
	frames, err := c.Encode(testMessage(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(frames[3]) != 0 {
		t.Fatalf("signature with empty key = %q, want empty", frames[3])
	}
	frames[3] = []byte("anything")
	if _, err := c.Decode(frames); err != nil {
		t.Fatalf("Decode with empty key: %v", err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	c := Codec{}
	cases := map[string][][]byte{
		"no delimiter":   {[]byte("id"), []byte("{}")},
		"too few frames": {[]byte(Delimiter), []byte(""), []byte("{}")},
		"bad header":     {[]byte(Delimiter), nil, []byte("{"), []byte("{}"), []byte("{}"), []byte("{}")},
		"no msg_type":    {[]byte(Delimiter), nil, []byte(`{"msg_id":"x"}`), []byte("{}"), []byte("{}"), []byte("{}")},
		"array content":  {[]byte(Delimiter), nil, []byte(`{"msg_type":"x"}`), []byte("{}"), []byte("{}"), []byte("[]")},
		"bad metadata":   {[]byte(Delimiter), nil, []byte(`{"msg_type":"x"}`), []byte("{}"), []byte("1"), []byte("{}")},
	}
	for name, frames := range cases {
		if _, err := c.Decode(frames); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode = %v, want ErrMalformed", name, err)
		}
	}
}

func TestKnownSignature(t *testing.T) {
	// Python: hmac.new(b"key", b"abcd", hashlib.sha256).hexdigest()
	s := NewSigner([]byte("key"))
	want := "2a31ec0ee8d878c9eece9fb0df79b3b90b2256240163aa5ee50d176d3d1121f8"
	if got := s.Sign([]byte("a"), []byte("b"), []byte("c"), []byte("d")); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !s.Verify([]byte(want), []byte("ab"), []byte("cd")) {
		t.Fatal("Verify rejected the reference digest")
	}
}

func TestEncodeEmptyParts(t *testing.T) {
	m := &Message{Header: Header{MsgID: "1", MsgType: "status"}}
	frames, err := Codec{}.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	// delimiter, signature, header, parent, metadata, content
	for i, want := range map[int]string{3: "{}", 4: "{}", 5: "{}"} {
		if string(frames[i]) != want {
			t.Errorf("frame %d = %q, want %q", i, frames[i], want)
		}
	}
	var h Header
	if err := json.Unmarshal(frames[2], &h); err != nil || h.MsgType != "status" {
		t.Fatalf("header %q: %v", frames[2], err)
	}
}
