"""Each fault from issue 2, driven through jupyter_client: after it the kernel is alive, the cell
reports what happened as an error output, and the next cell runs with earlier variables intact
(or, for faults that kill the interpreter, the kernel says which state was lost)."""
import json
import os
import resource
import tempfile
import threading
import time

import pytest

from kernel_helpers import Session, errors, result, text


@pytest.fixture(scope="module")
def k():
    s = Session()
    yield s
    s.close()


def set_keep(k):
    reply, _ = k.run("keep := 42")
    assert reply["status"] == "ok", reply


def assert_alive_with_state(k):
    reply, out = k.run("keep + 1")
    assert reply["status"] == "ok", (reply, out)
    assert result(out) == "43"


def assert_fault(k, code, ename, *needles, timeout=60):
    """Run code after setting keep; the cell must fail with exactly ename, its evalue holding
    every needle, and keep must survive."""
    set_keep(k)
    reply, out = k.run(code, timeout=timeout)
    assert reply["status"] == "error", (reply, out)
    errs = errors(out)
    assert len(errs) == 1, out
    assert errs[0]["ename"] == ename == reply["ename"], (errs[0], reply)
    for n in needles:
        assert n in errs[0]["evalue"], f"{n!r} not in evalue {errs[0]['evalue']!r}"
    assert_alive_with_state(k)
    return reply, out


def test_panic(k):
    assert_fault(k, 'panic("boom")', "panic", "boom")


def test_panic_in_goroutine(k):
    # The cell would block forever on <-never: the goroutine's panic is what stops it.
    assert_fault(k, 'never := make(chan bool)\ngo func() {\n\tpanic("in goroutine")\n}()\n<-never',
                 "panic", "in a goroutine: in goroutine")


def test_os_exit(k):
    assert_fault(k, 'import "os"\nos.Exit(3)', "SystemExit", "os.Exit(3)", "kept your variables")


def test_log_fatal(k):
    assert_fault(k, 'import "log"\nlog.Fatal("fatal hunt")', "log.Fatal", "fatal hunt")


def test_nil_map_write(k):
    assert_fault(k, "var m map[string]int\nm[\"a\"] = 1", "runtime error", "assignment to entry in nil map")


def test_range_over_int_works(k):
    # yaegi v0.16.1 panics internally on range-over-int; the kernel rewrites it.
    set_keep(k)
    reply, out = k.run("for i := range 3 {\n\tfmt.Println(i)\n}")
    assert reply["status"] == "ok", (reply, out)
    assert text(out) == "0\n1\n2\n"
    assert_alive_with_state(k)


def test_interpreter_internal_panic(k):
    # range over a func still panics inside yaegi: it must come back as a clear error.
    assert_fault(k, "seq := func(yield func(int) bool) { yield(1) }\nfor v := range seq {\n\tfmt.Println(v)\n}",
                 "InterpreterError", "yaegi v0.16.1", "ranges over an int or a function")


def interrupt_after(k, delay, interrupt=None):
    t = threading.Timer(delay, interrupt or k.km.interrupt_kernel)
    t.start()
    return t


def assert_endless_loop_interrupted(k, interrupt=None):
    # An endless loop stops at the interrupt, as a KeyboardInterrupt error, keeping the
    # variables (a worker killed for ignoring it would lose keep).
    set_keep(k)
    interrupt_after(k, 1.0, interrupt)
    reply, out = k.run("for {\n}", timeout=60)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    assert [e["ename"] for e in errors(out)] == ["KeyboardInterrupt"], out
    assert_alive_with_state(k)


def test_endless_loop_interrupt(k):
    assert_endless_loop_interrupted(k)


def test_blocking_call_ignoring_interrupt(k):
    # The call blocks for an hour: that the cell returns at all shows it was abandoned.
    set_keep(k)
    interrupt_after(k, 1.0)
    reply, out = k.run("time.Sleep(time.Hour)", timeout=60)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    assert "finishes in the background" in " ".join(errors(out)[-1]["traceback"]), out
    assert_alive_with_state(k)


def test_print_100_mb(k):
    set_keep(k)
    code = 'import "strings"\nline := strings.Repeat("x", 1023)\nfor i := 0; i < 100*1024; i++ {\n\tfmt.Println(line)\n}'
    reply, out = k.run(code, timeout=180)
    printed = text(out)
    assert 0 < len(printed) < 100 << 20, len(printed)
    # The cut is the cell's error output, naming the dropped bytes.
    assert reply["status"] == "error", reply
    e = errors(out)[-1]
    assert e["ename"] == "OutputLimitExceeded" and "dropped" in e["evalue"], e
    assert_alive_with_state(k)


def test_runaway_recursion_restarts_worker(k):
    set_keep(k)
    reply, out = k.run("func rec(n int) int { return rec(n+1) + 1 }\nrec(0)", timeout=120)
    assert reply["status"] == "error", reply
    e = errors(out)[-1]
    assert "stack overflow" in e["evalue"], e
    assert "lost" in e["evalue"], e
    # The kernel answers, with a fresh interpreter: earlier variables are gone, as it said.
    reply, out = k.run("keep + 1")
    assert reply["status"] == "error" and "keep" in errors(out)[-1]["evalue"], ("keep survived a worker restart?", out)
    reply, out = k.run("keep := 7\nkeep * 6")
    assert reply["status"] == "ok" and result(out) == "42", out


def test_stdin_round_trip(k):
    msg_id = k.send('var name string\nfmt.Scanln(&name)\nfmt.Println("hello", name)', allow_stdin=True)
    req = k.kc.get_stdin_msg(timeout=30)
    assert req["msg_type"] == "input_request"
    k.kc.input("hunter")
    reply, out = k.collect(msg_id)
    assert reply["status"] == "ok", (reply, out)
    assert "hello hunter" in text(out)


def test_stdin_not_allowed_is_an_error_not_a_hang(k):
    set_keep(k)
    reply, out = k.run('var name string\nfmt.Scanln(&name)\nfmt.Println(name)', allow_stdin=False, timeout=60)
    assert reply["status"] == "error" and reply["ename"] == "StdinNotImplementedError", (reply, out)
    assert "allow_stdin is false" in reply["evalue"], reply
    assert_alive_with_state(k)


def test_stop_on_error_aborts_queued(k):
    ids = [k.send('time.Sleep(300 * time.Millisecond)\npanic("first")'), k.send("fmt.Println(\"second\")"), k.send("fmt.Println(\"third\")")]
    replies = [k.collect(i) for i in ids]
    assert replies[0][0]["status"] == "error"
    for reply, out in replies[1:]:
        assert reply["status"] == "error", reply
        assert reply["ename"] == "ExecutionAborted", reply
        assert text(out) == "", "an aborted cell ran"
    # stop_on_error=False: the queue keeps running.
    ids = [k.send('time.Sleep(300 * time.Millisecond)\npanic("first")', stop_on_error=False), k.send('fmt.Println("second")')]
    replies = [k.collect(i) for i in ids]
    assert replies[1][0]["status"] == "ok" and text(replies[1][1]) == "second\n"


def test_zz_restart_and_history_survive(k):
    k.run('fmt.Println("before restart")')
    k.km.restart_kernel(now=False)
    k.kc.wait_for_ready(timeout=60)
    reply, out = k.run("1 + 1")
    assert reply["status"] == "ok" and reply["execution_count"] == 1, reply
    msg_id = k.kc.history(hist_access_type="tail", n=1000, output=False, raw=True)
    h = k.kc.get_shell_msg(timeout=10)
    while h["parent_header"]["msg_id"] != msg_id:
        h = k.kc.get_shell_msg(timeout=10)
    entries = h["content"]["history"]
    assert any(e[2] == 'fmt.Println("before restart")' for e in entries), entries[-5:]
    sessions = {e[0] for e in entries}
    assert len(sessions) >= 2, sessions


def test_shutdown_on_shell(k):
    # Older frontends send shutdown_request on shell (protocol < 5.4): the kernel answers there
    # and exits. Nothing is sent on control.
    s = Session()
    try:
        msg = s.kc.session.msg("shutdown_request", {"restart": False})
        s.kc.shell_channel.send(msg)
        reply = s.kc.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            reply = s.kc.get_shell_msg(timeout=60)
        assert reply["msg_type"] == "shutdown_reply", reply
        assert reply["content"] == {"status": "ok", "restart": False}, reply["content"]
        deadline = time.monotonic() + 60
        while s.km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not s.km.is_alive(), "kernel still running after shutdown_request on shell"
    finally:
        s.kc.stop_channels()
        if s.km.is_alive():
            s.km.shutdown_kernel(now=True)


def test_sigint_interrupts(k):
    import signal

    assert_endless_loop_interrupted(k, lambda: k.km.signal_kernel(signal.SIGINT))


def test_concurrent_map_writes_restarts_worker(k):
    # A fatal runtime error no recover can catch: the worker dies, the kernel says why and that
    # state was lost, and the next cell runs in a fresh interpreter.
    set_keep(k)
    code = ("m := map[int]int{}\nfor i := 0; i < 4; i++ {\n\tgo func() {\n\t\tfor j := 0; ; j++ {\n"
            "\t\t\tm[j%100] = j\n\t\t}\n\t}()\n}\ntime.Sleep(3 * time.Second)")
    reply, out = k.run(code, timeout=60)
    assert reply["status"] == "error" and reply["ename"] == "WorkerDied", reply
    assert "concurrent map" in reply["evalue"] and "lost" in reply["evalue"], reply
    reply, out = k.run("fresh := 1\nfresh + 1")
    assert reply["status"] == "ok" and result(out) == "2", out


def worker_pid(k):
    """The pid of the kernel's `gohunt worker` child process (started with the first cell)."""
    kpid = k.km.provisioner.pid
    for tid in os.listdir(f"/proc/{kpid}/task"):
        with open(f"/proc/{kpid}/task/{tid}/children") as f:
            for child in f.read().split():
                with open(f"/proc/{child}/cmdline", "rb") as c:
                    if c.read().split(b"\0")[1:2] == [b"worker"]:
                        return int(child)
    raise AssertionError(f"kernel {kpid} has no worker child")


def wait_gone(pid, timeout=120):
    """Wait until process pid has exited and been reaped by the kernel."""
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}"), f"worker {pid} still there"


def assert_state_lost_then_fresh(k):
    reply, out = k.run("keep + 1")
    assert reply["status"] == "error" and "undefined: keep" in reply["evalue"], ("keep survived a worker restart?", reply)
    reply, out = k.run("fresh := 20\nfresh + 22")
    assert reply["status"] == "ok" and result(out) == "42", out


def test_out_of_memory_restarts_worker(k):
    # The worker's address space is capped (as a container or ulimit would) so that the cell's
    # allocations fail in the Go runtime itself: "fatal error: out of memory", which no recover
    # catches. The kernel reports it, says state was lost, and the next cell runs.
    set_keep(k)
    pid = worker_pid(k)
    with open(f"/proc/{pid}/status") as f:
        vm_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit = (vm_kb << 10) + (512 << 20)
    resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
    reply, out = k.run("var hogs [][]byte\nfor {\n\thogs = append(hogs, make([]byte, 64<<20))\n}", timeout=120)
    assert reply["status"] == "error" and reply["ename"] == "WorkerDied", reply
    assert "out of memory" in reply["evalue"] and "were lost" in reply["evalue"], reply
    wait_gone(pid)
    assert_state_lost_then_fresh(k)


def test_worker_crash_between_cells(k):
    # A goroutine the cell leaves behind crashes the worker (concurrent map writes, fatal) after
    # the cell replied: the next cell says so on stderr, then runs in a fresh worker.
    set_keep(k)
    pid = worker_pid(k)
    gate = tempfile.mktemp(prefix="gohunt-crash-gate-")
    code = (f'go func() {{\n\tfor {{\n\t\tif _, err := os.Stat({json.dumps(gate)}); err == nil {{\n\t\t\tbreak\n\t\t}}\n'
            '\t\ttime.Sleep(10 * time.Millisecond)\n\t}\n\tm := map[int]int{}\n\tfor i := 0; i < 4; i++ {\n'
            '\t\tgo func() {\n\t\t\tfor j := 0; ; j++ {\n\t\t\t\tm[j%100] = j\n\t\t\t}\n\t\t}()\n\t}\n}()')
    reply, out = k.run(code)
    assert reply["status"] == "ok", (reply, out)
    try:
        open(gate, "w").close()  # only now, after the reply, may the goroutine crash the worker
        wait_gone(pid)
    finally:
        os.unlink(gate)
    reply, out = k.run("keep + 1")
    notice = text(out, "stderr")
    assert "concurrent map" in notice and "while no cell was running" in notice and "were lost" in notice, out
    assert reply["status"] == "error" and "undefined: keep" in reply["evalue"], reply
    reply, out = k.run("fresh := 1\nfresh + 1")
    assert reply["status"] == "ok" and result(out) == "2" and text(out, "stderr") == "", out


def test_cell_closing_event_pipe_fails_cell_and_restarts(k):
    # fd 4 carries the worker's events to the kernel: closing it used to hang the kernel.
    set_keep(k)
    pid = worker_pid(k)
    reply, out = k.run('os.NewFile(4, "events").Close()\nfmt.Println("unseen")', timeout=60)
    assert reply["status"] == "error" and reply["ename"] == "WorkerDied", reply
    assert "event pipe (fd 4) was closed" in reply["evalue"] and "were lost" in reply["evalue"], reply
    wait_gone(pid)
    assert_state_lost_then_fresh(k)


def test_cell_closing_stdout_and_stderr_keeps_later_output(k):
    set_keep(k)
    reply, out = k.run("os.Stdout.Close()\nos.Stderr.Close()")
    assert reply["status"] == "ok", (reply, out)
    notes = text(out, "stderr")
    assert "closed os.Stdout" in notes and "closed os.Stderr" in notes, out
    reply, out = k.run('fmt.Println("still here")\nfmt.Fprintln(os.Stderr, "stderr too")\n!echo child')
    assert reply["status"] == "ok", (reply, out)
    assert text(out) == "still here\nchild\n" and text(out, "stderr") == "stderr too\n", out
    assert_alive_with_state(k)


def test_user_expression_loop_is_interrupted(k):
    # The same interrupt path as cells: the loop stops, the worker is not killed, keep survives.
    set_keep(k)
    msg_id = k.kc.execute("keep", user_expressions={"spin": 'func() int { println("spinning"); for {} }()'})
    deadline = time.monotonic() + 60
    while "spinning" not in text([(m["msg_type"], m["content"]) for m in k._iopub.get(msg_id, [])]):
        assert time.monotonic() < deadline, "the user expression never started"
        k._pump(0.05)
    k.km.interrupt_kernel()
    reply, out = k.collect(msg_id)
    assert reply["status"] == "ok", reply
    spin = reply["user_expressions"]["spin"]
    assert spin["status"] == "error" and spin["ename"] == "KeyboardInterrupt", spin
    assert_alive_with_state(k)


def test_env_masks_credentials(k):
    secret = "hunter2secret"
    reply, out = k.run(f"%env GOHUNT_TEST_ES_URL=http://elastic:{secret}@127.0.0.1:9200/\n"
                       f"%env GOHUNT_TEST_ES_PASSWORD={secret}\n%env GOHUNT_TEST_ES_URL\n%env")
    assert reply["status"] == "ok", (reply, out)
    shown = json.dumps(out)
    assert secret not in shown, out
    assert "http://elastic:<hidden>@127.0.0.1:9200/" in text(out) and "GOHUNT_TEST_ES_PASSWORD=<hidden>" in text(out), out
    reply, out = k.run('panic("cannot reach " + os.Getenv("GOHUNT_TEST_ES_URL"))')
    assert reply["status"] == "error" and secret not in json.dumps([reply, out]), (reply, out)
    assert "elastic:<hidden>@" in reply["evalue"], reply
