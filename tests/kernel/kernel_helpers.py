"""Helpers for driving the gohunt kernel with jupyter_client in tests."""
import queue
import time

from jupyter_client.manager import start_new_kernel

KERNEL_NAME = "gohunt"


class Session:
    """A started gohunt kernel and a blocking client."""

    def __init__(self):
        self.km, self.kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60)
        self._replies, self._iopub = {}, {}

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)

    def send(self, code, **kw):
        """Send an execute_request without waiting; returns its msg_id."""
        return self.kc.execute(code, **kw)

    def _pump(self, timeout):
        """Move at most one shell and one iopub message into the per-request buffers."""
        got = False
        try:
            m = self.kc.get_shell_msg(timeout=timeout)
            self._replies[m["parent_header"].get("msg_id")] = m["content"]
            got = True
        except queue.Empty:
            pass
        try:
            m = self.kc.get_iopub_msg(timeout=0 if got else timeout)
            self._iopub.setdefault(m["parent_header"].get("msg_id"), []).append(m)
        except queue.Empty:
            pass

    def collect(self, msg_id, timeout=60):
        """Wait for msg_id's execute_reply and its status idle; return (reply content, outputs).
        Messages of other requests are kept for their own collect call."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self._iopub.get(msg_id, [])
            idle = any(m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" for m in msgs)
            if msg_id in self._replies and idle:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                outs = [(m["msg_type"], m["content"]) for m in msgs]
                raise AssertionError(f"no reply/idle for {msg_id} within {timeout}s; outputs so far: {outs!r:.2000}")
            self._pump(min(left, 0.05))
        outputs = [(m["msg_type"], m["content"]) for m in self._iopub.pop(msg_id)
                   if m["msg_type"] not in ("status", "execute_input")]
        return self._replies.pop(msg_id), outputs

    def run(self, code, timeout=60, **kw):
        return self.collect(self.send(code, **kw), timeout=timeout)


def text(outputs, name="stdout"):
    return "".join(c["text"] for t, c in outputs if t == "stream" and c["name"] == name)


def errors(outputs):
    return [c for t, c in outputs if t == "error"]


def result(outputs):
    for t, c in outputs:
        if t == "execute_result":
            return c["data"]["text/plain"]
    return None
