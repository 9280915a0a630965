// Package messaging implements the Jupyter wire protocol (version 5.3) that a kernel and its
// frontends speak over ZeroMQ: the connection file, the five sockets (shell, control, stdin,
// iopub, heartbeat) on github.com/go-zeromq/zmq4, the multipart envelope with routing
// identities and the "<IDS|MSG>" delimiter, HMAC-SHA256 signatures, and typed message headers.
//
// The kernel side uses [Bind] to open the sockets named by a [ConnectionInfo] and [Codec] to turn
// raw frames into [Message] values and back. Incoming messages whose signature is missing or
// wrong are rejected by [Codec.Decode] with [ErrBadSignature] and must be dropped, never run.
//
// The frontend side is in package github.com/gohunt/gohunt/kernel/client.
package messaging
