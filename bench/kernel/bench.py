"""Kernel benchmarks: gohunt side by side with ipykernel, in the same run, ratios printed.

  start      launch to the first kernel_info_reply             (target: gohunt <= 0.25x ipykernel)
  roundtrip  execute `1+1`, request to reply and status idle    (target: p50 and p95 <= 0.5x)
  stream     100k printed lines, all received in order          (time compared)

Run with `make bench` (or .venv/bin/python bench/kernel/bench.py). Both kernels are driven by
the same jupyter_client code, so client overhead is the same on both sides.
"""
import os
import queue
import statistics
import sys
import tempfile
import time

os.environ.setdefault("JUPYTER_DATA_DIR", tempfile.mkdtemp(prefix="gohunt-bench-"))

import zmq  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

KERNELS = {
    "gohunt": {
        "one_plus_one": "1+1",
        "print_lines": "for i := 0; i < 100000; i++ {\n\tfmt.Println(i)\n}",
    },
    "python3": {
        "one_plus_one": "1+1",
        "print_lines": "for i in range(100000):\n    print(i)",
    },
}
START_RUNS = int(os.environ.get("BENCH_START_RUNS", "5"))
RTT_RUNS = int(os.environ.get("BENCH_RTT_RUNS", "300"))


def start(name):
    """Start a kernel; return (km, kc, seconds from launch to the first kernel_info_reply)."""
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    elapsed = None
    while True:
        msg_id = kc.kernel_info()
        try:
            while elapsed is None:
                m = kc.get_shell_msg(timeout=0.02)
                if m["parent_header"].get("msg_id") == msg_id:
                    elapsed = time.perf_counter() - t0
        except queue.Empty:
            if not km.is_alive():
                raise SystemExit(f"kernel {name} died during start-up")
            continue
        # Not timed: wait until IOPub delivers too, so no later output is missed.
        try:
            while True:
                m = kc.get_iopub_msg(timeout=0.2)
                if m["parent_header"].get("msg_id") == msg_id:
                    return km, kc, elapsed
        except queue.Empty:
            pass


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def execute(kc, code, sink=None, timeout=120):
    """Run code; wait for its execute_reply and status idle; stream text goes to sink.
    A zmq poller on the shell and iopub sockets wakes up as soon as either has a message, so
    no polling interval is added to either kernel's time."""
    poller = zmq.Poller()
    shell, iopub = kc.shell_channel.socket, kc.iopub_channel.socket
    poller.register(shell, zmq.POLLIN)
    poller.register(iopub, zmq.POLLIN)
    msg_id = kc.execute(code, store_history=False)
    reply = idle = False
    deadline = time.monotonic() + timeout
    while not (reply and idle):
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit(f"timeout running {code!r}")
        ready = dict(poller.poll(left * 1000))
        if shell in ready:
            _, m = kc.session.recv(shell, mode=zmq.NOBLOCK)
            reply = reply or (m is not None and m["parent_header"].get("msg_id") == msg_id)
        if iopub in ready:
            _, m = kc.session.recv(iopub, mode=zmq.NOBLOCK)
            if m is None or m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                idle = True
            elif m["msg_type"] == "stream" and sink is not None:
                sink.append(m["content"]["text"])


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def measure(name):
    print(f"measuring {name} ...", file=sys.stderr, flush=True)
    codes = KERNELS[name]
    starts = []
    for _ in range(START_RUNS):
        km, kc, t = start(name)
        starts.append(t)
        stop(km, kc)
    km, kc, _ = start(name)
    try:
        for _ in range(20):  # warm up
            execute(kc, codes["one_plus_one"])
        rtts = []
        for _ in range(RTT_RUNS):
            t0 = time.perf_counter()
            execute(kc, codes["one_plus_one"])
            rtts.append(time.perf_counter() - t0)
        text = []
        t0 = time.perf_counter()
        execute(kc, codes["print_lines"], sink=text)
        stream_s = time.perf_counter() - t0
        lines = "".join(text).splitlines()
        complete = lines == [str(i) for i in range(100000)]
    finally:
        stop(km, kc)
    return {
        "start": statistics.median(starts),
        "rtt_p50": pct(rtts, 50),
        "rtt_p95": pct(rtts, 95),
        "stream": stream_s,
        "stream_ok": complete,
        "stream_lines": len(lines),
    }


def main():
    res = {name: measure(name) for name in KERNELS}
    g, p = res["gohunt"], res["python3"]
    print(f"\nkernel benchmark ({START_RUNS} starts, {RTT_RUNS} round trips, 100k lines), gohunt vs ipykernel")
    print(f"{'metric':<28}{'gohunt':>12}{'ipykernel':>12}{'ratio':>9}  target")
    rows = [
        ("start to kernel_info_reply", "start", 0.25),
        ("1+1 round trip p50", "rtt_p50", 0.5),
        ("1+1 round trip p95", "rtt_p95", 0.5),
        ("100k lines streamed", "stream", None),
    ]
    failed = False
    for label, key, target in rows:
        ratio = g[key] / p[key]
        verdict = ""
        if target is not None:
            ok = ratio <= target
            failed |= not ok
            verdict = f"<= {target}x {'met' if ok else 'MISSED'}"
        print(f"{label:<28}{g[key] * 1000:>10.1f}ms{p[key] * 1000:>10.1f}ms{ratio:>8.2f}x  {verdict}")
    for name, r in res.items():
        state = "complete and in order" if r["stream_ok"] else f"INCOMPLETE ({r['stream_lines']} lines)"
        print(f"  {name}: 100k lines {state}")
        failed |= not r["stream_ok"]
    if failed:
        print("bench-kernel: a target was missed or output was lost (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
