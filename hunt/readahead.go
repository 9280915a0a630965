package hunt

import "io"

// readAhead reads r in a goroutine, up to 8 chunks of 256 KiB ahead of the consumer, so that
// decompression (zip, gzip) runs on one core while the JSON scanner runs on another. stop must
// be called when the consumer is done; it waits for the goroutine to finish. The chunks are
// recycled: a stream of any size uses the same ten buffers, instead of allocating (and having
// the kernel fault in) a fresh 256 KiB for every chunk.
func readAhead(r io.Reader) (io.Reader, func()) {
	const inFlight = 8
	ra := &aheadReader{chunks: make(chan []byte, inFlight), free: make(chan []byte, inFlight+2), done: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(ra.exited)
		defer close(ra.chunks)
		for {
			var buf []byte
			select {
			case buf = <-ra.free:
			default:
				buf = make([]byte, 256<<10)
			}
			n, err := io.ReadFull(r, buf[:cap(buf)])
			if n > 0 {
				select {
				case ra.chunks <- buf[:n]:
				case <-ra.done:
					return
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return
			}
			if err != nil {
				ra.err = err
				return
			}
		}
	}()
	stop := func() {
		select {
		case <-ra.done:
		default:
			close(ra.done)
		}
		<-ra.exited
	}
	return ra, stop
}

type aheadReader struct {
	chunks chan []byte
	free   chan []byte // chunks the consumer has used up, for the goroutine to fill again
	buf    []byte      // the chunk cur is a part of
	cur    []byte
	err    error // set by the goroutine before it closes chunks
	done   chan struct{}
	exited chan struct{}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.buf != nil {
			select {
			case a.free <- a.buf:
			default: // cannot happen (the goroutine holds at most inFlight+2 buffers); drop it
			}
			a.buf = nil
		}
		c, ok := <-a.chunks
		if !ok {
			<-a.exited
			if a.err != nil {
				return 0, a.err
			}
			return 0, io.EOF
		}
		a.buf, a.cur = c, c
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}
