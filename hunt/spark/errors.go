package spark

import (
	"context"
	"errors"
	"strings"

	"github.com/apache/spark-connect-go/spark/sparkerrors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is a failure of a Spark operation: Spark's error class and SQL state when the server
// gave them, and its message.
type Error struct {
	Op       string     // what was being done, e.g. "SQL", "Collect", "Connect spark sc://host:port"
	Class    string     // Spark's error class, e.g. TABLE_OR_VIEW_NOT_FOUND ("" when none)
	SQLState string     // e.g. 42P01 ("" when none)
	Code     codes.Code // the gRPC status code (codes.OK when the error is not from the server)
	Message  string     // Spark's message
	Err      error      // the underlying error, for errors.Is / errors.As
}

// Error returns "spark: OP: [CLASS] message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("spark: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	msg := e.Message
	if e.Class != "" && !strings.HasPrefix(msg, "["+e.Class+"]") {
		b.WriteString("[" + e.Class + "] ")
	}
	b.WriteString(msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// wrapErr turns an error of the client or of gRPC into an *Error naming op. A cancelled or
// expired ctx is reported as such (errors.Is(err, context.Canceled) holds).
func wrapErr(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		if se.Op == "" {
			se.Op = op
		}
		return se
	}
	if ctx != nil && ctx.Err() != nil {
		cause := context.Cause(ctx)
		return &Error{Op: op, Code: codes.Canceled, Message: "interrupted: " + cause.Error(), Err: cause}
	}
	e := &Error{Op: op, Err: err}
	var spe *sparkerrors.SparkError
	if errors.As(err, &spe) && spe != nil {
		e.Class, e.SQLState, e.Code, e.Message = spe.ErrorClass, spe.SqlState, spe.Code, spe.Message
	} else if st := grpcStatus(err); st != nil {
		e.Code, e.Message = st.Code(), st.Message()
	} else {
		e.Message = err.Error()
	}
	switch e.Code {
	case codes.Unavailable:
		e.Message = "server unavailable: " + e.Message
	case codes.Canceled:
		if e.Class == "" {
			e.Message = "cancelled: " + e.Message
		}
	case codes.DeadlineExceeded:
		e.Message = "deadline exceeded: " + e.Message
	}
	if e.Message == "" {
		e.Message = err.Error()
	}
	if e.Class == "" {
		// A server error without a class is a Java exception whose message may carry the
		// stack of where a SparkContext was made and stopped: its first line says what
		// happened (the whole text stays in Err).
		if first, _, cut := strings.Cut(e.Message, "\n"); cut {
			e.Message = strings.TrimSpace(first)
		}
	}
	return e
}

// grpcStatus returns the gRPC status somewhere in err's chain, or nil.
func grpcStatus(err error) *status.Status {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus()
	}
	return nil
}
