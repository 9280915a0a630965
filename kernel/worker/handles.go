package worker

import (
	"fmt"
	"os"
	"syscall"
)

// handle is one output handle as cells see it (os.Stdout or os.Stderr): a duplicate of the
// session's own write end, so that a cell that closes or replaces it cannot cut the session's
// output channel. After each cell, restore mends what the cell broke and says so.
type handle struct {
	name  string   // "os.Stdout" or "os.Stderr"
	own   *os.File // the session's write end (in the worker process: fd 1, or the stderr pipe)
	ownFd int
	keep  *os.File // a private duplicate of own, given to no one: restore's source
	keepI os.FileInfo
	cell  *os.File  // the handle cells were given
	v     **os.File // the interpreter's variable (os.Stdout in cells)
}

// newHandle duplicates own for cells and stores the duplicate in *v.
func newHandle(name string, own *os.File, v **os.File) (*handle, error) {
	h := &handle{name: name, own: own, v: v}
	fd, err := rawFd(own)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h.ownFd = fd
	if h.keep, err = dupFile(fd, name+" (kept)"); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if h.keepI, err = h.keep.Stat(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if h.cell, err = h.dupKeep(); err != nil {
		return nil, err
	}
	*v = h.cell
	return h, nil
}

// rawFd returns f's descriptor without switching it to blocking mode (as File.Fd would).
func rawFd(f *os.File) (int, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := sc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, err
	}
	return fd, nil
}

// dupFile returns a new *os.File on a close-on-exec duplicate of fd.
func dupFile(fd int, name string) (*os.File, error) {
	syscall.ForkLock.RLock()
	nfd, err := syscall.Dup(fd)
	if err == nil {
		syscall.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("duplicating fd %d: %w", fd, err)
	}
	return os.NewFile(uintptr(nfd), name), nil
}

func (h *handle) dupKeep() (*os.File, error) {
	fd, err := rawFd(h.keep)
	if err != nil {
		return nil, err
	}
	return dupFile(fd, "/dev/"+h.name[len("os."):])
}

// intact reports whether f is open and still writes where the session's output goes.
func (h *handle) intact(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && os.SameFile(fi, h.keepI)
}

// restore mends the session's write end (a cell may have closed its descriptor) and the cells'
// handle (closed, or replaced by another value), and returns a note for each repair.
func (h *handle) restore() []string {
	var notes []string
	if !h.intact(h.own) {
		if keepFd, err := rawFd(h.keep); err == nil && syscall.Dup3(keepFd, h.ownFd, 0) == nil {
			notes = append(notes, fmt.Sprintf("the cell closed or replaced file descriptor %d, where %s output goes; it was reopened", h.ownFd, h.name))
		}
	}
	cur := *h.v
	switch {
	case cur == h.cell && h.intact(cur):
		return notes
	case cur != h.cell && h.intact(h.cell):
		notes = append(notes, fmt.Sprintf("the cell replaced %s; later cells get the notebook's %s back", h.name, h.name))
	default:
		what := "closed"
		if cur != h.cell {
			what = "replaced"
		}
		f, err := h.dupKeep()
		if err != nil {
			return append(notes, fmt.Sprintf("the cell %s %s and it could not be reopened: %v", what, h.name, err))
		}
		h.cell = f
		notes = append(notes, fmt.Sprintf("the cell %s %s; it was reopened so that later output still reaches the notebook", what, h.name))
	}
	*h.v = h.cell
	return notes
}
