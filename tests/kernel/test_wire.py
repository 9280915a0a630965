"""The wire seen from a hostile local peer, on the real kernel: frame-length bombs before and
after the ZMTP handshake, a replayed signed request, parser-bound request fields."""
import socket
import struct

import pytest
import zmq

from kernel_helpers import Session, text


@pytest.fixture(scope="module")
def k():
    s = Session()
    yield s
    s.close()


def greeting():
    g = bytearray(64)
    g[0], g[9], g[10], g[11] = 0xFF, 0x7F, 3, 0
    g[12:16] = b"NULL"
    return bytes(g)


def ready(socket_type):
    body = b"\x05READY"
    for k, v in ((b"Socket-Type", socket_type), (b"Identity", b"")):
        body += bytes([len(k)]) + k + struct.pack(">I", len(v)) + v
    return bytes([0x04, len(body)]) + body


@pytest.mark.parametrize("size", [2**62, 2**40])
@pytest.mark.parametrize("handshake", [False, True])
def test_frame_length_bomb_drops_the_peer_and_the_kernel_answers(k, size, handshake):
    ci = k.km.get_connection_info()
    for port in ("shell_port", "control_port", "stdin_port", "iopub_port", "hb_port"):
        s = socket.create_connection((ci["ip"], ci[port]))
        s.settimeout(30)
        try:
            msg = greeting()
            if handshake:
                msg += ready(b"SUB" if port == "iopub_port" else b"REQ" if port == "hb_port" else b"DEALER")
            s.sendall(msg + b"\x02" + struct.pack(">Q", size) + b"a few bytes")
            while True:  # the kernel's greeting, maybe its READY, then the close
                try:
                    if not s.recv(4096):
                        break
                except ConnectionResetError:
                    break
        except socket.timeout:
            pytest.fail(f"{port}: the kernel kept the connection after a {size}-byte frame header")
        finally:
            s.close()
    reply = k.kc.kernel_info(reply=True, timeout=30)
    assert reply["content"]["status"] == "ok"


def test_replayed_execute_request_runs_once(k):
    reply, _ = k.run("replayed := 0")
    assert reply["status"] == "ok"
    ci = k.km.get_connection_info()
    ctx = zmq.Context.instance()
    d = ctx.socket(zmq.DEALER)
    d.linger = 0
    d.connect(f"tcp://{ci['ip']}:{ci['shell_port']}")
    try:
        msg = k.kc.session.msg("execute_request", {
            "code": "replayed++", "silent": False, "store_history": True,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        frames = k.kc.session.serialize(msg)
        d.send_multipart(frames)
        d.send_multipart(frames)  # the same bytes again
        assert d.poll(30000), "no execute_reply to the first copy"
        first = k.kc.session.deserialize(k.kc.session.feed_identities(d.recv_multipart())[1])
        assert first["content"]["status"] == "ok"
        # Requests are handled in order: a reply to the copy would come before this one's.
        reply, out = k.run('fmt.Println("replayed =", replayed)')
        assert text(out) == "replayed = 1\n"
        assert not d.poll(500), "the replayed copy was answered"
    finally:
        d.close()


def test_history_search_with_a_4mb_glob_is_an_error_reply(k):
    msg_id = k.kc.history(hist_access_type="search", pattern="a?*" * ((4 << 20) // 3), output=False, raw=True)
    reply = k.kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    assert "field pattern" in reply["content"]["evalue"]
    assert k.kc.kernel_info(reply=True, timeout=30)["content"]["status"] == "ok"
