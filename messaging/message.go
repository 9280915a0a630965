package messaging

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// ProtocolVersion is the Jupyter messaging protocol version gohunt speaks.
const ProtocolVersion = "5.3"

// Header is a message header (also used as the parent header of replies and outputs).
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one decoded Jupyter message. Identities are the ZeroMQ routing frames that came
// before the "<IDS|MSG>" delimiter; a reply must carry the request's identities to reach its
// sender. Content stays raw JSON so that each handler decodes the type it expects.
type Message struct {
	Identities [][]byte
	Header     Header
	Parent     Header // zero when the message has no parent
	Metadata   map[string]any
	Content    json.RawMessage
	Buffers    [][]byte
}

// NewMessage returns a message of type msgType in session, with a fresh uuid msg_id and the
// current time, whose parent is parent (nil for none) and whose content is content marshaled as
// JSON. It carries the parent's identities, so a reply built with it routes back to the sender.
func NewMessage(session, msgType string, parent *Message, content any) (*Message, error) {
	var raw json.RawMessage
	switch c := content.(type) {
	case nil:
		raw = json.RawMessage("{}")
	case json.RawMessage:
		raw = c
	default:
		b, err := json.Marshal(content)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	m := &Message{
		Header: Header{
			MsgID:    uuid.NewString(),
			Session:  session,
			Username: "gohunt",
			Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
			MsgType:  msgType,
			Version:  ProtocolVersion,
		},
		Metadata: map[string]any{},
		Content:  raw,
	}
	if parent != nil {
		m.Parent = parent.Header
		m.Identities = parent.Identities
	}
	return m, nil
}

// DecodeContent unmarshals the message content into v.
func (m *Message) DecodeContent(v any) error {
	return json.Unmarshal(m.Content, v)
}
