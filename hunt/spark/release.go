package spark

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Releasing a session on the server.
//
// A Spark Connect server keeps a session (its temporary views, its configuration, cached
// results) until the client releases it or it has been idle for the server's timeout (an hour by
// default). spark-connect-go's Stop does nothing, so Close sends Spark Connect's ReleaseSession
// itself, built from the registered protocol descriptors as the interrupt is (interrupt.go).

const (
	releaseMethod  = "/" + serviceName + "/ReleaseSession"
	analyzeMethod  = "/" + serviceName + "/AnalyzePlan"
	releaseTimeout = 10 * time.Second
)

// ID returns the session's id on the server (the id Spark's logs and UI name it by), or ""
// before the session has sent anything (Connect sends a first request, so a session it returns
// has one).
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionID
}

// release sends ReleaseSession for the session: the server drops its state.
func (s *Session) release(ctx context.Context) error {
	sid := s.ID()
	if sid == "" {
		return nil // the server never saw the session
	}
	req, err := newSessionRequest("ReleaseSessionRequest", sid, s.user)
	if err != nil {
		return &Error{Op: "Close", Message: err.Error(), Err: err}
	}
	resp, err := newMessage("ReleaseSessionResponse")
	if err != nil {
		return &Error{Op: "Close", Message: err.Error(), Err: err}
	}
	ctx = metadata.NewOutgoingContext(ctx, metadata.MD{})
	if err := s.conn.Invoke(ctx, releaseMethod, req.Interface(), resp.Interface()); err != nil {
		return wrapErr(ctx, "Close: releasing the session on the server", err)
	}
	return nil
}

// Released reports whether the Spark Connect server at rawURL has released the session with
// the given id, for user (as WithUser; "" means Connect's default): its client closed it or the
// server expired it. It asks the server for its version under that session id on a connection
// of its own; a session the server holds answers, a released one fails with
// INVALID_HANDLE.SESSION_CLOSED. (An id the server never saw starts a new session there, which
// its idle timeout ends: ask only about ids a session had.)
func Released(ctx context.Context, rawURL, id, user string, opts ...Option) (bool, error) {
	cfg, addr, err := parseURL(rawURL)
	if err != nil {
		return false, err
	}
	for _, o := range opts {
		o(&cfg)
	}
	if user != "" {
		cfg.user = user
	}
	if cfg.user == "" {
		cfg.user = defaultUser()
	}
	probe := &Session{addr: addr, user: cfg.user, cfg: cfg, ops: map[string]struct{}{}}
	conn, err := probe.dial()
	if err != nil {
		return false, &Error{Op: "Released " + probe.String(), Message: err.Error(), Err: err}
	}
	defer conn.Close()
	req, err := newSessionRequest("AnalyzePlanRequest", id, cfg.user)
	if err != nil {
		return false, &Error{Op: "Released", Message: err.Error(), Err: err}
	}
	fd := req.Descriptor().Fields().ByName("spark_version")
	if fd == nil {
		return false, &Error{Op: "Released", Message: "spark.connect.AnalyzePlanRequest has no field spark_version"}
	}
	req.Set(fd, protoreflect.ValueOfMessage(req.NewField(fd).Message()))
	resp, err := newMessage("AnalyzePlanResponse")
	if err != nil {
		return false, &Error{Op: "Released", Message: err.Error(), Err: err}
	}
	ctx = metadata.NewOutgoingContext(ctx, metadata.MD{})
	err = conn.Invoke(ctx, analyzeMethod, req.Interface(), resp.Interface(), grpc.WaitForReady(true))
	if err == nil {
		return false, nil
	}
	werr := wrapErr(ctx, "Released", err)
	var se *Error
	if errors.As(werr, &se) && strings.HasPrefix(se.Class, "INVALID_HANDLE.SESSION_CLOSED") {
		return true, nil
	}
	if strings.Contains(err.Error(), "INVALID_HANDLE.SESSION_CLOSED") {
		return true, nil
	}
	return false, werr
}

// newMessage returns a new spark.connect message of the given name, from the registered
// descriptors.
func newMessage(name string) (protoreflect.Message, error) {
	t, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName("spark.connect." + name))
	if err != nil {
		return nil, fmt.Errorf("the Spark Connect protocol descriptors are not registered: %w", err)
	}
	return t.New(), nil
}

// newSessionRequest returns the spark.connect request name with its session_id and
// user_context.user_id set.
func newSessionRequest(name, sessionID, user string) (protoreflect.Message, error) {
	req, err := newMessage(name)
	if err != nil {
		return nil, err
	}
	fields := req.Descriptor().Fields()
	fd := fields.ByName("session_id")
	if fd == nil {
		return nil, fmt.Errorf("spark.connect.%s has no field session_id", name)
	}
	req.Set(fd, protoreflect.ValueOfString(sessionID))
	if fd = fields.ByName("user_context"); fd == nil {
		return nil, fmt.Errorf("spark.connect.%s has no field user_context", name)
	}
	uc := req.NewField(fd).Message()
	ufd := uc.Descriptor().Fields().ByName("user_id")
	if ufd == nil {
		return nil, fmt.Errorf("spark.connect.UserContext has no field user_id")
	}
	uc.Set(ufd, protoreflect.ValueOfString(user))
	req.Set(fd, protoreflect.ValueOfMessage(uc))
	return req, nil
}
