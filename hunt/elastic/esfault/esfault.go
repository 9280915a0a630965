// Package esfault is a loopback HTTP proxy that injects faults between a client and a real
// Elasticsearch node: 429 and 503 answers, connections cut in the middle of a response, and
// delays. Tests use it for what the real server cannot produce on demand.
package esfault

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what the proxy does with one request.
type Fault int

const (
	Pass      Fault = iota // forward unchanged
	TooMany                // answer 429 without forwarding
	Unavail                // answer 503 without forwarding
	BadGW                  // answer 502 without forwarding
	CutBody                // forward, then send half of the answer and drop the connection
	CutBefore              // drop the connection before answering (the request is not forwarded)
)

// Proxy forwards to an Elasticsearch node, injecting the faults Rule picks.
type Proxy struct {
	URL string
	// Rule picks the fault for the n-th search request (n from 1); other requests pass.
	Rule func(n int64) Fault
	// Delay, when set, is slept before each search request is forwarded.
	Delay time.Duration

	target   string
	srv      *httptest.Server
	searches atomic.Int64
	mu       sync.Mutex
	injected map[Fault]int
}

// New starts a proxy on 127.0.0.1 in front of target (http://host:port).
func New(target string) *Proxy {
	p := &Proxy{target: strings.TrimRight(target, "/"), injected: map[Fault]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.CloseClientConnections(); p.srv.Close() }

// Searches returns how many search requests the proxy has seen.
func (p *Proxy) Searches() int64 { return p.searches.Load() }

// Injected returns how many times fault f was injected.
func (p *Proxy) Injected(f Fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[f]
}

var client = &http.Client{Timeout: 60 * time.Second}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	fault := Pass
	if strings.HasSuffix(r.URL.Path, "/_search") {
		n := p.searches.Add(1)
		if p.Rule != nil {
			fault = p.Rule(n)
		}
		if p.Delay > 0 {
			time.Sleep(p.Delay)
		}
	}
	if fault != Pass {
		p.mu.Lock()
		p.injected[fault]++
		p.mu.Unlock()
	}
	switch fault {
	case TooMany, Unavail, BadGW:
		code := map[Fault]int{TooMany: 429, Unavail: 503, BadGW: 502}[fault]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, `{"error":{"type":"injected","reason":"esfault `+strconv.Itoa(code)+`"},"status":`+strconv.Itoa(code)+`}`)
		return
	case CutBefore:
		panic(http.ErrAbortHandler)
	}
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	req.Header = r.Header.Clone()
	res, err := client.Do(req)
	if err != nil {
		// The node is down (restarting): answer as a load balancer would.
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, `{"error":{"type":"proxy","reason":"node unreachable"},"status":502}`)
		return
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(res.StatusCode)
	if fault == CutBody {
		w.Write(out[:len(out)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	w.Write(out)
}
