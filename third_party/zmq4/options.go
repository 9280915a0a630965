// Copyright 2018 The go-zeromq Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package zmq4

import (
	"log"
	"time"
)

// Option configures some aspect of a ZeroMQ socket.
// (e.g. SocketIdentity, Security, ...)
type Option func(s *socket)

// WithID configures a ZeroMQ socket identity.
func WithID(id SocketIdentity) Option {
	return func(s *socket) {
		s.id = id
	}
}

// WithSecurity configures a ZeroMQ socket to use the given security mechanism.
// If the security mechanims is nil, the NULL mechanism is used.
func WithSecurity(sec Security) Option {
	return func(s *socket) {
		s.sec = sec
	}
}

// WithDialerRetry configures the time to wait before two failed attempts
// at dialing an endpoint.
func WithDialerRetry(retry time.Duration) Option {
	return func(s *socket) {
		s.retry = retry
	}
}

// WithDialerTimeout sets the maximum amount of time a dial will wait
// for a connect to complete.
func WithDialerTimeout(timeout time.Duration) Option {
	return func(s *socket) {
		s.dialer.Timeout = timeout
	}
}

// WithTimeout sets the timeout value for socket operations
func WithTimeout(timeout time.Duration) Option {
	return func(s *socket) {
		s.timeout = timeout
	}
}

// WithLogger sets a dedicated log.Logger for the socket.
func WithLogger(msg *log.Logger) Option {
	return func(s *socket) {
		s.log = msg
	}
}

// WithDialerMaxRetries configures the maximum number of retries
// when dialing an endpoint (-1 means infinite retries).
func WithDialerMaxRetries(maxRetries int) Option {
	return func(s *socket) {
		s.maxRetries = maxRetries
	}
}

// WithAutomaticReconnect allows to configure a socket to automatically
// reconnect on connection loss.
func WithAutomaticReconnect(automaticReconnect bool) Option {
	return func(s *socket) {
		s.autoReconnect = automaticReconnect
	}
}

// WithMaxMsgSize sets the largest inbound message a socket accepts, in bytes, as libzmq's
// ZMQ_MAXMSGSIZE does: a peer that sends a larger frame or message (each frame counting 64
// bytes besides its body) is disconnected, and what its frame headers claim is never
// allocated ahead of the bytes. n <= 0 means no limit (the default).
func WithMaxMsgSize(n int64) Option {
	return func(s *socket) {
		s.maxMsgSize = max(n, 0)
	}
}

// WithHandshakeTimeout sets how long an accepted or dialed connection may take to complete
// the ZMTP greeting and security handshake before it is closed, as libzmq's
// ZMQ_HANDSHAKE_IVL does (default 30 s; 0 means no limit).
func WithHandshakeTimeout(timeout time.Duration) Option {
	return func(s *socket) {
		s.handshakeTimeout = timeout
	}
}

// WithXPubWelcome makes an XPUB socket greet each subscription: welcome is called with the
// topic of every subscription a peer makes, and the message it returns (unless ok is false) is
// sent to that peer alone, before any message published after the subscription takes effect,
// so it is the first message of that topic the subscriber sees. Unlike libzmq's static
// ZMQ_XPUB_WELCOME_MSG, the message can differ per subscription (a Jupyter kernel's signed
// iopub_welcome, JEP 65). Other socket types ignore it.
func WithXPubWelcome(welcome func(topic []byte) (msg Msg, ok bool)) Option {
	return func(s *socket) {
		s.xpubWelcome = welcome
	}
}

/*
// TODO(sbinet)

func WithIOThreads(threads int) Option {
	return nil
}

func WithSendBufferSize(size int) Option {
	return nil
}

func WithRecvBufferSize(size int) Option {
	return nil
}
*/

const (
	OptionSubscribe   = "SUBSCRIBE"
	OptionUnsubscribe = "UNSUBSCRIBE"
	OptionHWM         = "HWM"
)
