"""Each fault from issue 2, driven through jupyter_client: after it the kernel is alive, the cell
reports what happened as an error output, and the next cell runs with earlier variables intact
(or, for faults that kill the interpreter, the kernel says which state was lost)."""
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


def assert_fault(k, code, *needles, timeout=60):
    set_keep(k)
    reply, out = k.run(code, timeout=timeout)
    assert reply["status"] == "error", (reply, out)
    errs = errors(out)
    assert len(errs) >= 1, out
    msg = " ".join([errs[-1]["ename"], errs[-1]["evalue"]] + errs[-1]["traceback"])
    for n in needles:
        assert n in msg, f"{n!r} not in error {msg!r}"
    assert_alive_with_state(k)
    return reply, out


def test_panic(k):
    assert_fault(k, 'panic("boom")', "boom")


def test_panic_in_goroutine(k):
    assert_fault(k, 'done := make(chan bool)\ngo func() {\n\tdefer close(done)\n\tpanic("in goroutine")\n}()\n<-done\ntime.Sleep(100 * time.Millisecond)', "in goroutine")


def test_os_exit(k):
    assert_fault(k, 'import "os"\nos.Exit(3)', "3")


def test_log_fatal(k):
    assert_fault(k, 'import "log"\nlog.Fatal("fatal hunt")', "fatal hunt")


def test_nil_map_write(k):
    assert_fault(k, "var m map[string]int\nm[\"a\"] = 1", "nil map")


def test_range_over_int_works(k):
    # yaegi v0.16.1 panics internally on range-over-int; the kernel rewrites it.
    set_keep(k)
    reply, out = k.run("for i := range 3 {\n\tfmt.Println(i)\n}")
    assert reply["status"] == "ok", (reply, out)
    assert text(out) == "0\n1\n2\n"
    assert_alive_with_state(k)


def test_interpreter_internal_panic(k):
    # range over a func still panics inside yaegi: it must come back as a clear error.
    reply, out = k.run("seq := func(yield func(int) bool) { yield(1) }\nfor v := range seq {\n\tfmt.Println(v)\n}")
    assert reply["status"] == "error", (reply, out)
    assert errors(out), out
    assert_alive_with_state(k)


def interrupt_after(k, delay, interrupt=None):
    t = threading.Timer(delay, interrupt or k.km.interrupt_kernel)
    t.start()
    return t


def assert_endless_loop_interrupted(k, interrupt=None):
    # An endless loop stops within seconds of the interrupt, as an error, keeping the variables.
    set_keep(k)
    interrupt_after(k, 1.0, interrupt)
    start = time.monotonic()
    reply, out = k.run("for {\n}", timeout=30)
    assert reply["status"] == "error", reply
    assert "Interrupt" in errors(out)[-1]["ename"], out
    assert time.monotonic() - start < 10
    assert_alive_with_state(k)


def test_endless_loop_interrupt(k):
    assert_endless_loop_interrupted(k)


def test_blocking_call_ignoring_interrupt(k):
    set_keep(k)
    interrupt_after(k, 1.0)
    start = time.monotonic()
    reply, out = k.run("time.Sleep(time.Hour)", timeout=30)
    assert reply["status"] == "error", reply
    assert errors(out), out
    assert time.monotonic() - start < 8, "interrupt of a blocking call took too long"
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
    reply, out = k.run('var name string\n_, err := fmt.Scanln(&name)\nif err != nil {\n\tpanic(err)\n}', allow_stdin=False, timeout=30)
    assert reply["status"] == "error", (reply, out)
    assert_alive_with_state_after_set(k)


def assert_alive_with_state_after_set(k):
    set_keep(k)
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
    s = Session()
    try:
        msg_id = s.kc.shutdown()  # jupyter_client sends it on control; send one on shell too
        s.kc.session.send(s.kc.shell_channel.socket, s.kc.session.msg("shutdown_request", {"restart": False}))
        deadline = time.monotonic() + 10
        while s.km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not s.km.is_alive(), "kernel still running after shutdown_request"
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
