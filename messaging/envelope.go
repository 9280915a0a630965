package messaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Delimiter separates the routing identities from the signed message frames.
const Delimiter = "<IDS|MSG>"

var (
	// ErrBadSignature means a message's signature is missing or does not match its frames.
	// Such a message must be dropped (and logged), never acted on.
	ErrBadSignature = errors.New("bad or missing message signature")
	// ErrMalformed wraps every other decoding failure.
	ErrMalformed = errors.New("malformed message")
)

// Codec turns Messages into signed multipart frames and back.
type Codec struct {
	Signer Signer
	// Replay, if not nil, refuses a signed message whose signature it already holds
	// (ErrReplay). The kernel shares one among its sockets; nil means no replay check.
	Replay *DigestHistory
}

// Encode returns the frames of m: identities, delimiter, signature, header, parent header,
// metadata, content, buffers.
func (c Codec) Encode(m *Message) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, fmt.Errorf("encoding header: %w", err)
	}
	parent := []byte("{}")
	if m.Parent.MsgID != "" || m.Parent.MsgType != "" {
		if parent, err = json.Marshal(m.Parent); err != nil {
			return nil, fmt.Errorf("encoding parent header: %w", err)
		}
	}
	meta := []byte("{}")
	if len(m.Metadata) > 0 {
		if meta, err = json.Marshal(m.Metadata); err != nil {
			return nil, fmt.Errorf("encoding metadata: %w", err)
		}
	}
	content := []byte(m.Content)
	if len(content) == 0 {
		content = []byte("{}")
	}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, []byte(Delimiter), []byte(c.Signer.Sign(header, parent, meta, content)), header, parent, meta, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// Decode parses the frames of one message. It checks the signature before looking at any
// content and returns an error wrapping ErrBadSignature when it is missing or wrong, ErrReplay
// when c.Replay already holds it, and one wrapping ErrMalformed when the frames are not a
// Jupyter message.
func (c Codec) Decode(frames [][]byte) (*Message, error) {
	delim := -1
	for i, f := range frames {
		if bytes.Equal(f, []byte(Delimiter)) {
			delim = i
			break
		}
	}
	if delim < 0 {
		return nil, fmt.Errorf("%w: no %s delimiter in %d frames", ErrMalformed, Delimiter, len(frames))
	}
	rest := frames[delim+1:]
	if len(rest) < 5 {
		return nil, fmt.Errorf("%w: %d frames after the delimiter, want at least 5", ErrMalformed, len(rest))
	}
	sig, header, parent, meta, content := rest[0], rest[1], rest[2], rest[3], rest[4]
	if c.Signer.Enabled() && !c.Signer.Verify(sig, header, parent, meta, content) {
		return nil, ErrBadSignature
	}
	if c.Replay != nil && c.Signer.Enabled() && !c.Replay.Add(sig) {
		return nil, ErrReplay
	}
	m := &Message{Identities: copyFrames(frames[:delim])}
	if err := json.Unmarshal(header, &m.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if m.Header.MsgType == "" {
		return nil, fmt.Errorf("%w: header has no msg_type", ErrMalformed)
	}
	if err := json.Unmarshal(parent, &m.Parent); err != nil {
		return nil, fmt.Errorf("%w: parent header: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(meta, &m.Metadata); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrMalformed, err)
	}
	if m.Metadata == nil {
		m.Metadata = map[string]any{}
	}
	if !json.Valid(content) || len(bytes.TrimSpace(content)) == 0 || bytes.TrimSpace(content)[0] != '{' {
		return nil, fmt.Errorf("%w: content is not a JSON object", ErrMalformed)
	}
	m.Content = append(json.RawMessage(nil), content...)
	m.Buffers = copyFrames(rest[5:])
	return m, nil
}

func copyFrames(fs [][]byte) [][]byte {
	if len(fs) == 0 {
		return nil
	}
	out := make([][]byte, len(fs))
	for i, f := range fs {
		out[i] = append([]byte(nil), f...)
	}
	return out
}
