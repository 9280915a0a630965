"""jupyter console drives the kernel: is_complete makes it ask for continuation lines of an
unfinished func, and the finished cell runs."""
import os
import sys

import pexpect

ESC = r"(?:\x1b\[[0-9;?]*[a-zA-Z])*"


def prompt(n):
    return rf"In \[{ESC}{n}{ESC}\]: "


CONT = rf"\.\.\.{ESC}: "


def test_jupyter_console_multiline():
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    c = pexpect.spawn(jupyter, ["console", "--kernel", "gohunt"], encoding="utf-8", timeout=60,
                      dimensions=(40, 200))
    try:
        c.expect(prompt(1))
        c.sendline("x := 20")
        c.expect(prompt(2))
        c.sendline("func double(n int) int {")
        c.expect(CONT)  # incomplete: the console asks for more
        c.sendline("return n * 2")
        c.expect(CONT)
        c.sendline("}")
        c.expect(prompt(3))
        c.sendline("double(x) + 2")
        c.expect(r"Out\[" + ESC + "3" + ESC + r"\]: " + ESC + "42")
        c.expect(prompt(4))
        c.sendcontrol("d")  # end of input: the console asks, then shuts the kernel down
        if c.expect([r"exit.*\?", pexpect.EOF]) == 0:
            c.sendline("y")
            c.expect(pexpect.EOF)
    finally:
        c.close(force=True)
