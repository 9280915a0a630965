"""Protocol behaviour seen from jupyter_client: live streaming, user_expressions, kernel_info on
control, execution counts, comm handling."""
import time

import pytest

from kernel_helpers import Session, text


@pytest.fixture(scope="module")
def k():
    s = Session()
    yield s
    s.close()


def test_output_arrives_while_the_cell_runs(k):
    seen = {}

    def stamp(t, c):
        if t == "stream" and "first" in c["text"]:
            seen.setdefault("first", time.monotonic())

    msg_id = k.send('fmt.Println("first")\ntime.Sleep(1500 * time.Millisecond)\nfmt.Println("second")')
    start = time.monotonic()
    while "first" not in seen:
        assert time.monotonic() - start < 10, "first line never arrived"
        try:
            m = k.kc.get_iopub_msg(timeout=0.05)
        except Exception:
            continue
        if m["parent_header"].get("msg_id") == msg_id:
            k._iopub.setdefault(msg_id, []).append(m)
            stamp(m["msg_type"], m["content"])
    reply, out = k.collect(msg_id)
    done = time.monotonic()
    assert reply["status"] == "ok"
    assert text(out) == "first\nsecond\n"
    assert done - seen["first"] > 1.0, "the first line was held back until the cell ended"


def test_user_expressions(k):
    k.run("base := 40")
    reply, _ = k.run("base++", user_expressions={"answer": "base + 1", "bad": "nope("})
    ue = reply["user_expressions"]
    assert ue["answer"]["status"] == "ok" and ue["answer"]["data"]["text/plain"] == "42", ue
    assert ue["bad"]["status"] == "error", ue


def test_kernel_info_on_control(k):
    msg = k.kc.session.msg("kernel_info_request", {})
    k.kc.control_channel.send(msg)
    reply = k.kc.get_control_msg(timeout=10)
    while reply["parent_header"]["msg_id"] != msg["header"]["msg_id"]:
        reply = k.kc.get_control_msg(timeout=10)
    li = reply["content"]["language_info"]
    assert reply["content"]["protocol_version"] >= "5.3"
    assert (li["name"], li["mimetype"], li["file_extension"], li["pygments_lexer"], li["codemirror_mode"]) == (
        "go", "text/x-go", ".go", "go", "go")
    assert reply["content"]["implementation"] == "gohunt" and reply["content"]["help_links"]


def test_execution_count_and_silent(k):
    r1, _ = k.run("1")
    r2, out = k.run("2", silent=True)
    r3, _ = k.run("3", store_history=False)
    r4, _ = k.run("4")
    assert r2["execution_count"] == r1["execution_count"] and out == []
    assert r3["execution_count"] == r1["execution_count"]
    assert r4["execution_count"] == r1["execution_count"] + 1


def test_comms(k):
    msg_id = k.kc.comm_info()
    reply = k.kc.get_shell_msg(timeout=10)
    while reply["parent_header"]["msg_id"] != msg_id:
        reply = k.kc.get_shell_msg(timeout=10)
    assert reply["content"] == {"status": "ok", "comms": {}}
    msg = k.kc.session.msg("comm_open", {"comm_id": "abc", "target_name": "jupyter.widget", "data": {}})
    k.kc.shell_channel.send(msg)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = k.kc.get_iopub_msg(timeout=10)
        if m["msg_type"] == "comm_close" and m["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            assert m["content"]["comm_id"] == "abc"
            return
    raise AssertionError("comm_open to an unknown target was not answered with comm_close")


def test_kernel_exits_when_its_frontend_dies():
    import os
    import subprocess
    import sys

    script = (
        "import os\n"
        "from jupyter_client.manager import start_new_kernel\n"
        "km, kc = start_new_kernel(kernel_name='gohunt')\n"
        "print(km.provisioner.process.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, 9)
    raise AssertionError("kernel kept running after its frontend died")


def test_ipc_transport(tmp_path):
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="gohunt", transport="ipc", ip=str(tmp_path / "k"))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive('fmt.Println("over ipc")', timeout=30)
        assert reply["content"]["status"] == "ok"
        assert (tmp_path / f"k-{km.shell_port}").exists(), list(tmp_path.iterdir())
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
