"""Protocol behaviour seen from jupyter_client: live streaming, user_expressions, kernel_info on
control, execution counts, comm handling."""
import json
import os
import tempfile
import time

import pytest

from kernel_helpers import Session, text


@pytest.fixture(scope="module")
def k():
    s = Session()
    yield s
    s.close()


def test_output_arrives_while_the_cell_runs(k):
    # The cell prints "first", then waits until the test has received it (a gate file): output
    # held back until the cell ends would leave the cell waiting and fail at the deadline.
    gate = tempfile.mktemp(prefix="gohunt-stream-gate-")
    msg_id = k.send('func gateOpen() bool { _, err := os.Stat(%s); return err == nil }\n'
                    'fmt.Println("first")\nfor !gateOpen() {\n\ttime.Sleep(10 * time.Millisecond)\n}\n'
                    'fmt.Println("second")' % json.dumps(gate))
    try:
        deadline = time.monotonic() + 60
        while "first" not in text([(m["msg_type"], m["content"]) for m in k._iopub.get(msg_id, [])]):
            assert time.monotonic() < deadline, "the first line was held back while the cell ran"
            k._pump(0.05)
        assert msg_id not in k._replies, "the cell ended before its gate opened"
        open(gate, "w").close()
        reply, out = k.collect(msg_id)
    finally:
        if os.path.exists(gate):
            os.unlink(gate)
    assert reply["status"] == "ok", reply
    assert text(out) == "first\nsecond\n"


def test_user_expressions(k):
    k.run("base := 40")
    reply, _ = k.run("base++", user_expressions={"answer": "base + 1", "bad": "nope("})
    ue = reply["user_expressions"]
    assert ue["answer"]["status"] == "ok" and ue["answer"]["data"]["text/plain"] == "42", ue
    assert ue["bad"]["status"] == "error" and "expected" in ue["bad"]["evalue"], ue


def test_kernel_info_on_control(k):
    msg = k.kc.session.msg("kernel_info_request", {})
    k.kc.control_channel.send(msg)
    reply = k.kc.get_control_msg(timeout=60)
    while reply["parent_header"]["msg_id"] != msg["header"]["msg_id"]:
        reply = k.kc.get_control_msg(timeout=60)
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
    reply = k.kc.get_shell_msg(timeout=60)
    while reply["parent_header"]["msg_id"] != msg_id:
        reply = k.kc.get_shell_msg(timeout=60)
    assert reply["content"] == {"status": "ok", "comms": {}}
    msg = k.kc.session.msg("comm_open", {"comm_id": "abc", "target_name": "jupyter.widget", "data": {}})
    k.kc.shell_channel.send(msg)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        m = k.kc.get_iopub_msg(timeout=60)
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
    deadline = time.monotonic() + 60
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
