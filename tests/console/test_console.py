"""jupyter console on the gohunt kernel, driven through a pseudo-terminal (pexpect) as a user
types: a multi-line Go cell is held open by the kernel's is_complete replies (continuation
prompts, no premature execution), runs as one cell when complete, and its function is callable
afterwards. The prompt_toolkit interface is used (not --simple-prompt, which never asks
is_complete)."""

import os
import re
import shutil
import sys
import tempfile

import pexpect
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
# Any run of ANSI escape sequences prompt_toolkit puts between visible characters.
E = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def prompt(kind, n, then=""):
    return re.compile(f"{kind}{E}\\[{E}{n}{E}\\]: {then}")


@pytest.fixture
def console():
    jupyter = os.path.join(VENV_BIN, "jupyter")
    if not os.path.exists(jupyter):
        pytest.fail(f"{jupyter} missing: run make setup")
    runtime = tempfile.mkdtemp(prefix="gohunt-console-")
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
               JUPYTER_RUNTIME_DIR=runtime, TERM="xterm")
    child = pexpect.spawn(jupyter, ["console", "--kernel", "gohunt"], env=env,
                          encoding="utf-8", timeout=60, dimensions=(40, 140))
    child.logfile_read = open(os.path.join(runtime, "console.log"), "w")
    try:
        child.expect(prompt("In ", 1))
        yield child
    except pexpect.ExceptionPexpect as err:
        child.logfile_read.flush()
        pytest.fail(f"console never showed In [1]: {err}\n{open(child.logfile_read.name).read()}")
    finally:
        if child.isalive():
            child.sendcontrol("d")
            try:
                child.expect([r"\(\[y\]/n\)"], timeout=10)
                child.sendline("y")
                child.expect(pexpect.EOF, timeout=20)
            except pexpect.ExceptionPexpect:
                child.terminate(force=True)
        child.close()
        shutil.rmtree(runtime, ignore_errors=True)


def test_multiline_cell_continues_then_runs(console):
    c = console
    c.send("func double(x int) int {\r")
    # is_complete says "incomplete" with an indent: a continuation prompt, the cell not run.
    i = c.expect([re.compile(r"\.\.\.: " + E + "    "), prompt("In ", 2), "Error"])
    assert i == 0, f"no continuation prompt after an open brace: {c.before!r}"
    c.send("return x * 2\r")
    i = c.expect([re.compile(r"\.\.\.: "), prompt("In ", 2), "Error"])
    assert i == 0, f"cell ran before its closing brace: {c.before!r}"
    c.send("}\r")
    # Complete: it runs as one cell, so the next prompt is In [2] and nothing failed.
    c.expect(prompt("In ", 2))
    assert "Error" not in c.before
    c.send("double(21)\r")
    c.expect(prompt("Out", 2, E + "42"))
    c.expect(prompt("In ", 3))
    # A cell that can never be completed is "invalid": it runs at once and reports the error
    # instead of waiting for more lines.
    c.send("x := )\r")
    c.expect(re.compile(r"(?i)error"))
    c.expect(prompt("In ", 4))


@pytest.mark.parametrize("word", ["exit", "quit"])
def test_exit_and_quit_leave_as_in_ipython(console, word):
    # The kernel answers with IPython's ask_exit payload: the console leaves without asking
    # and shuts its kernel down (it used to say "undefined: exit").
    c = console
    c.send("x := 1\r")
    c.expect(prompt("In ", 2))
    c.send(word + "\r")
    i = c.expect(["Shutting down kernel", "undefined", prompt("In ", 3)])
    assert i == 0, f"{word} did not leave the console: {c.before!r}"
    c.expect(pexpect.EOF)
