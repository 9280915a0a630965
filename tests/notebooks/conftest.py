"""Shared paths and helpers for the notebook tests.

The kernel is the installed "gohunt" kernelspec (make setup runs ./install.sh --sys-prefix into
.venv); `gohunt run` is bin/gohunt (GOHUNT_BIN overrides it). Every notebook runs with its own
directory as the working directory, as in JupyterLab and nbconvert."""

import os
import pathlib
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
VENV_BIN = pathlib.Path(sys.executable).parent
GOHUNT = pathlib.Path(os.environ.get("GOHUNT_BIN", ROOT / "bin" / "gohunt"))

# What each playbook must find: strings its outputs show when the hunt works (see each
# notebook's "Expected result").
EXPECT = {
    "00-getting-started.ipynb": ["reg.exe", "C:\\Windows\\System32\\sam", "&lt;script&gt;alert(4)&lt;/script&gt;"],
    "01-helk-seed-walkthrough.ipynb": ["wmiprvse.exe", "powershell.exe", "pgustavo", "172.18.39.5"],
    "10-wmi-remote-execution.ipynb": ["pgustavo", "172.18.39.5", "WORKSTATION6.theshire.local"],
    "11-psexec-service-creation.ipynb": ["Updater", "%COMSPEC%", "172.18.39.5", "services.exe"],
    "12-lsass-memory-access.ipynb": ["0x1010", "lsass.exe", "pgustavo"],
    "13-powershell-remoting.ipynb": ["wsmprovhost.exe", "5985", "pgustavo"],
    "14-dcsync.ipynb": ["DS-Replication-Get-Changes-All", "pgustavo", "172.18.39.5"],
    "15-scheduled-task-creation.ipynb": ["\\MordorSchtask", "schtasks.exe", "FromBase64String"],
    "16-sam-registry-dump.ipynb": ["reg.exe", "C:\\Windows\\System32\\sam"],
    "17-sigma-sweep.ipynb": ["CobaltStrike Service Installations - System", "Florian Roth (Nextron Systems), Wojciech Lesicki",
                             "WORKSTATION6.theshire.local", "Updater", "critical", "cmd.exe"],
    "18-lateral-movement-graph.ipynb": ["10.10.10.0/24", "10.10.10.5", "MORDORDC.theshire.local", "pgustavo"],
}

# Output MIME types a committed notebook may carry: static, readable on a code host.
STATIC_MIMES = {"text/plain", "text/html", "text/markdown", "image/png", "image/svg+xml"}


def require(path, what):
    if not pathlib.Path(path).exists():
        pytest.fail(f"{path} is missing ({what}): run `make setup` first")


def outputs_text(nb):
    """All output text of a notebook: stream text, error values, and every MIME entry."""
    parts = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            if o.output_type == "stream":
                parts.append(o.text)
            elif o.output_type == "error":
                parts.append(f"{o.ename}: {o.evalue}")
            else:
                for v in o.get("data", {}).values():
                    parts.append(v if isinstance(v, str) else str(v))
    return "\n".join(parts)


def errors(nb):
    return [
        (i, o.get("ename"), o.get("evalue"))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]


def check_executed(nb, name):
    """Every code cell ran without error, and the playbook found what it should."""
    nbformat.validate(nb)
    assert errors(nb) == [], f"{name}: error outputs {errors(nb)}"
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            assert c.execution_count is not None, f"{name}: cell {i + 1} did not run"
    text = outputs_text(nb)
    for want in EXPECT.get(name, []):
        assert want in text, f"{name}: outputs lack {want!r}"


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 900)
    return subprocess.run([str(c) for c in cmd], **kw)
