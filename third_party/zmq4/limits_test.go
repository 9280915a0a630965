// Copyright 2026 The go-zeromq Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package zmq4

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// longHeader is the header of a long frame claiming size bytes.
func longHeader(size uint64, more bool) []byte {
	h := []byte{isLongBitFlag}
	if more {
		h[0] |= hasMoreBitFlag
	}
	return binary.BigEndian.AppendUint64(h, size)
}

// readWith returns what Conn.read makes of the bytes in, with the given limit.
func readWith(t *testing.T, maxMsgSize int64, in []byte) (Msg, *Conn) {
	t.Helper()
	local, remote := net.Pipe()
	t.Cleanup(func() { local.Close(); remote.Close() })
	go func() {
		remote.Write(in)
		remote.Close()
	}()
	c := &Conn{rw: local, sec: nullSecurity{}, maxMsgSize: maxMsgSize}
	return c.read(), c
}

func TestReadRefusesOversizedFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int64
		in   []byte
	}{
		{"2^62 claimed, no limit", 0, append(longHeader(1<<62, false), "abc"...)},
		{"2^63+5 claimed, no limit", 0, longHeader(1<<63+5, false)},
		{"2^40 claimed, limit 1 MiB", 1 << 20, longHeader(1<<40, false)},
		{"frame above limit", 1000, append(longHeader(2000, false), make([]byte, 2000)...)},
		{"frames above limit together", 1000, append(append([]byte{hasMoreBitFlag, 200}, make([]byte, 200)...), append(longHeader(700, false), make([]byte, 700)...)...)},
		{"empty frames above limit", 64 * 100, bytes.Repeat([]byte{hasMoreBitFlag, 0}, 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, c := readWith(t, tc.max, tc.in)
			if msg.err == nil {
				t.Fatalf("read accepted %d frames", len(msg.Frames))
			}
			if tc.max > 0 && !errors.Is(msg.err, ErrMsgTooLarge) {
				t.Fatalf("error %v, want ErrMsgTooLarge", msg.err)
			}
			if tc.max > 0 && !c.Closed() {
				t.Fatal("the connection of a peer above the limit is still open")
			}
		})
	}
}

func TestReadWithinLimit(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 3*readChunk+17) // grows past readChunk as bytes arrive
	in := append([]byte{hasMoreBitFlag, 3}, "abc"...)
	in = append(in, longHeader(uint64(len(body)), false)...)
	in = append(in, body...)
	msg, _ := readWith(t, int64(len(body))+3+2*frameOverhead, in)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	if len(msg.Frames) != 2 || string(msg.Frames[0]) != "abc" || !bytes.Equal(msg.Frames[1], body) {
		t.Fatalf("frames %d, sizes %d", len(msg.Frames), len(msg.Frames[len(msg.Frames)-1]))
	}
}

func TestReadBodyShortPeer(t *testing.T) {
	// A peer that claims 1 GiB and sends 10 bytes costs about readChunk, not 1 GiB.
	got, err := readBody(bytes.NewReader(make([]byte, 10)), 1<<30)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(got) != 10 || cap(got) > readChunk {
		t.Fatalf("readBody: len %d cap %d err %v", len(got), cap(got), err)
	}
}

// TestMaxMsgSizeDisconnects runs the option end to end: a dealer sends a message above the
// router's limit and is disconnected; a message under it goes through.
func TestMaxMsgSizeDisconnects(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	router := NewRouter(ctx, WithMaxMsgSize(1<<10))
	defer router.Close()
	if err := router.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ep := "tcp://" + router.Addr().String()

	small := NewDealer(ctx, WithID(SocketIdentity("small")))
	defer small.Close()
	if err := small.Dial(ep); err != nil {
		t.Fatal(err)
	}
	big, err := net.Dial("tcp", router.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	zbig, err := Open(big, nullSecurity{}, Dealer, SocketIdentity("big"), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	zbig.SendMsg(NewMsg(make([]byte, 2<<10)))
	big.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, big); isTimeout(err) { // EOF or a reset: dropped
		t.Fatalf("the router did not drop the peer above its limit: %v", err)
	}

	if err := small.Send(NewMsgString("hello")); err != nil {
		t.Fatal(err)
	}
	msg, err := router.Recv()
	if err != nil || len(msg.Frames) != 2 || string(msg.Frames[0]) != "small" || string(msg.Frames[1]) != "hello" {
		t.Fatalf("router received %q, %v", msg.Frames, err)
	}
}

// TestHandshakeIsConcurrent: a peer that connects and stalls does not keep the listener from
// accepting others, and is closed at the handshake timeout.
func TestHandshakeIsConcurrent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	router := NewRouter(ctx, WithHandshakeTimeout(200*time.Millisecond))
	defer router.Close()
	if err := router.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	stalled, err := net.Dial("tcp", router.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	d := NewDealer(ctx, WithID(SocketIdentity("d")))
	defer d.Close()
	if err := d.Dial("tcp://" + router.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(NewMsgString("hi")); err != nil {
		t.Fatal(err)
	}
	if msg, err := router.Recv(); err != nil || string(msg.Frames[1]) != "hi" {
		t.Fatalf("router received %q, %v", msg.Frames, err)
	}
	stalled.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.CopyN(io.Discard, stalled, zmtpMsgLen) // the router's greeting
	if _, err := io.Copy(io.Discard, stalled); isTimeout(err) {
		t.Fatalf("the stalled peer was not closed at the handshake timeout: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestXPubReportsSubscriptions: Recv on an XPUB returns every subscription, also a repeated one
// from a second subscriber, as libzmq's XPUB_VERBOSE does.
func TestXPubReportsSubscriptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	xpub := NewXPub(ctx)
	defer xpub.Close()
	if err := xpub.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	for i, topic := range []string{"", "", "kernel."} {
		sub := NewSub(ctx)
		defer sub.Close()
		if err := sub.Dial("tcp://" + xpub.Addr().String()); err != nil {
			t.Fatal(err)
		}
		if err := sub.SetOption(OptionSubscribe, topic); err != nil {
			t.Fatal(err)
		}
		msg, err := xpub.Recv()
		if err != nil || len(msg.Frames) != 1 || string(msg.Frames[0]) != "\x01"+topic {
			t.Fatalf("subscription %d: xpub received %q, %v", i, msg.Frames, err)
		}
	}
}

// TestXPubWelcomeComesFirst: while messages are published without pause, each new subscriber
// gets its welcome message before any of them.
func TestXPubWelcomeComesFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	xpub := NewXPub(ctx, WithXPubWelcome(func(topic []byte) (Msg, bool) {
		return NewMsgFrom([]byte("welcome"), append([]byte("to "), topic...)), true
	}))
	defer xpub.Close()
	if err := xpub.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go func() { // drain what subscribers send, as an XPUB application does
		for ctx.Err() == nil {
			xpub.Recv()
		}
	}()
	go func() {
		for ctx.Err() == nil {
			xpub.Send(NewMsgFrom([]byte("data"), []byte("x")))
			time.Sleep(time.Millisecond)
		}
	}()
	for i := 0; i < 3; i++ {
		sub := NewSub(ctx)
		defer sub.Close()
		if err := sub.Dial("tcp://" + xpub.Addr().String()); err != nil {
			t.Fatal(err)
		}
		if err := sub.SetOption(OptionSubscribe, ""); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.Recv()
		if err != nil || len(msg.Frames) != 2 || string(msg.Frames[0]) != "welcome" || string(msg.Frames[1]) != "to " {
			t.Fatalf("subscriber %d: first message %q, %v", i, msg.Frames, err)
		}
		if msg, err := sub.Recv(); err != nil || string(msg.Frames[0]) != "data" {
			t.Fatalf("subscriber %d: then %q, %v", i, msg.Frames, err)
		}
	}
}
