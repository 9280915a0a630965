package spark

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Spark Connect's interrupt, reached without a fork of the client.
//
// spark-connect-go keeps its generated protocol types in an internal package and exposes no
// Interrupt. Its generated code registers the protocol's descriptors (package spark.connect)
// with the protobuf registry, as all generated Go protobuf code does, so the session builds
// spark.connect.InterruptRequest from those descriptors and calls
// /spark.connect.SparkConnectService/Interrupt on its own connection. The names are Spark
// Connect's wire protocol, not the client's Go API, and do not change with the client.
//
// Which operations to interrupt: an interceptor on the session's connection reads the
// session_id and operation_id of every ExecutePlan and ReattachExecute request the client sends
// and keeps the operation as running until its response stream ends. When the context of the
// call is cancelled while the operation runs, the interceptor sends the interrupt for that
// operation id.

const (
	serviceName      = "spark.connect.SparkConnectService"
	interruptMethod  = "/" + serviceName + "/Interrupt"
	executeMethod    = "/" + serviceName + "/ExecutePlan"
	reattachMethod   = "/" + serviceName + "/ReattachExecute"
	interruptTimeout = 30 * time.Second
	redialWait       = 10 * time.Second
)

// trackStream is the session's stream interceptor: it tracks ExecutePlan and ReattachExecute
// operations (see above).
func (s *Session) trackStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s.redial(ctx, cc)
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil || (method != executeMethod && method != reattachMethod) {
		return cs, err
	}
	return &trackedStream{ClientStream: cs, s: s, ctx: ctx}, nil
}

// trackUnary notes the session id from unary calls (AnalyzePlan, Config, ...).
func (s *Session) trackUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	s.redial(ctx, cc)
	if m, ok := req.(proto.Message); ok && method != interruptMethod {
		if sid := stringField(m, "session_id"); sid != "" {
			s.noteSession(sid)
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

type trackedStream struct {
	grpc.ClientStream
	s    *Session
	ctx  context.Context
	opID string
	stop func() bool // stops the interrupt-on-cancel hook
	done bool
}

func (t *trackedStream) SendMsg(m any) error {
	if pm, ok := m.(proto.Message); ok && t.opID == "" {
		if sid := stringField(pm, "session_id"); sid != "" {
			t.s.noteSession(sid)
		}
		if op := stringField(pm, "operation_id"); op != "" {
			t.opID = op
			t.s.addOp(op)
			ctx := t.ctx
			t.stop = context.AfterFunc(ctx, func() {
				ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), interruptTimeout)
				defer cancel()
				t.s.interrupt(ictx, "INTERRUPT_TYPE_OPERATION_ID", op)
				t.s.removeOp(op)
			})
		}
	}
	return t.ClientStream.SendMsg(m)
}

func (t *trackedStream) RecvMsg(m any) error {
	err := t.ClientStream.RecvMsg(m)
	if err != nil && !t.done && t.opID != "" {
		t.done = true
		// On a cancelled context the hook sends the interrupt (and forgets the operation);
		// otherwise the operation ended on the server (complete, failed, or the stream broke and
		// the client reattaches under the same id, which is tracked again).
		if err == io.EOF || t.ctx.Err() == nil {
			if t.stop() {
				t.s.removeOp(t.opID)
			}
		}
	}
	return err
}

// redial: after the server went away, gRPC waits out a growing backoff (up to 2 minutes) before
// it dials again, and fails every call meanwhile. A call on a connection in that state dials at
// once and waits (at most redialWait) for the outcome, so a session whose server is back works
// at its next call; a server still down fails the call as before, with Unavailable.
func (s *Session) redial(ctx context.Context, cc *grpc.ClientConn) {
	st := cc.GetState()
	if st != connectivity.TransientFailure {
		return
	}
	cc.ResetConnectBackoff()
	wctx, cancel := context.WithTimeout(ctx, redialWait)
	defer cancel()
	for st != connectivity.Ready {
		if !cc.WaitForStateChange(wctx, st) {
			return
		}
		if st = cc.GetState(); st == connectivity.TransientFailure || st == connectivity.Shutdown {
			return
		}
	}
}

func (s *Session) noteSession(id string) {
	s.mu.Lock()
	if s.sessionID == "" {
		s.sessionID = id
	}
	s.mu.Unlock()
}

func (s *Session) addOp(id string) {
	s.mu.Lock()
	s.ops[id] = struct{}{}
	s.mu.Unlock()
}

func (s *Session) removeOp(id string) {
	s.mu.Lock()
	delete(s.ops, id)
	s.mu.Unlock()
}

// running returns how many operations of the session are running now, as the client sees them.
func (s *Session) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ops)
}

// InterruptAll interrupts every operation of the session running on the server and returns
// the ids of the operations the server interrupted.
func (s *Session) InterruptAll(ctx context.Context) ([]string, error) {
	return s.interrupt(ctx, "INTERRUPT_TYPE_ALL", "")
}

// interrupt sends Spark Connect's Interrupt RPC: kind is an InterruptRequest.InterruptType
// value name; opID names the operation for INTERRUPT_TYPE_OPERATION_ID.
func (s *Session) interrupt(ctx context.Context, kind, opID string) ([]string, error) {
	s.mu.Lock()
	sid := s.sessionID
	s.mu.Unlock()
	if sid == "" {
		return nil, nil // nothing was ever sent: nothing runs
	}
	req, resp, err := newInterrupt(sid, s.user, kind, opID)
	if err != nil {
		return nil, &Error{Op: "Interrupt", Message: err.Error(), Err: err}
	}
	ctx = metadata.NewOutgoingContext(ctx, metadata.MD{})
	if err := s.conn.Invoke(ctx, interruptMethod, req, resp); err != nil {
		return nil, wrapErr(ctx, "Interrupt", err)
	}
	return stringList(resp, "interrupted_ids"), nil
}

// newInterrupt builds spark.connect.InterruptRequest and an InterruptResponse to fill, from the
// registered descriptors.
func newInterrupt(sessionID, user, kind, opID string) (proto.Message, proto.Message, error) {
	reqT, err := protoregistry.GlobalTypes.FindMessageByName("spark.connect.InterruptRequest")
	if err != nil {
		return nil, nil, fmt.Errorf("the Spark Connect protocol descriptors are not registered: %w", err)
	}
	respT, err := protoregistry.GlobalTypes.FindMessageByName("spark.connect.InterruptResponse")
	if err != nil {
		return nil, nil, fmt.Errorf("the Spark Connect protocol descriptors are not registered: %w", err)
	}
	req := reqT.New()
	fields := req.Descriptor().Fields()
	get := func(name protoreflect.Name) (protoreflect.FieldDescriptor, error) {
		fd := fields.ByName(name)
		if fd == nil {
			return nil, fmt.Errorf("spark.connect.InterruptRequest has no field %s", name)
		}
		return fd, nil
	}
	fd, err := get("session_id")
	if err != nil {
		return nil, nil, err
	}
	req.Set(fd, protoreflect.ValueOfString(sessionID))
	if fd, err = get("user_context"); err != nil {
		return nil, nil, err
	}
	uc := req.NewField(fd).Message()
	ufd := uc.Descriptor().Fields().ByName("user_id")
	if ufd == nil {
		return nil, nil, fmt.Errorf("spark.connect.UserContext has no field user_id")
	}
	uc.Set(ufd, protoreflect.ValueOfString(user))
	req.Set(fd, protoreflect.ValueOfMessage(uc))
	if fd, err = get("interrupt_type"); err != nil {
		return nil, nil, err
	}
	ev := fd.Enum().Values().ByName(protoreflect.Name(kind))
	if ev == nil {
		return nil, nil, fmt.Errorf("spark.connect.InterruptRequest.InterruptType has no value %s", kind)
	}
	req.Set(fd, protoreflect.ValueOfEnum(ev.Number()))
	if opID != "" {
		if fd, err = get("operation_id"); err != nil {
			return nil, nil, err
		}
		req.Set(fd, protoreflect.ValueOfString(opID))
	}
	return req.Interface(), respT.New().Interface(), nil
}

// stringField returns m's string field name, or "" when m has none.
func stringField(m proto.Message, name protoreflect.Name) string {
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(name)
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return ""
	}
	if !r.Has(fd) {
		return ""
	}
	return r.Get(fd).String()
}

// stringList returns m's repeated string field name.
func stringList(m proto.Message, name protoreflect.Name) []string {
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(name)
	if fd == nil || !fd.IsList() || fd.Kind() != protoreflect.StringKind {
		return nil
	}
	l := r.Get(fd).List()
	out := make([]string, l.Len())
	for i := range out {
		out[i] = l.Get(i).String()
	}
	return out
}
