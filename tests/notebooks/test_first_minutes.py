"""The first ten minutes of a new user: `make demo` builds the binary once and says what it is
building, the editable install of the papermill translator prints no warning banner, and
JupyterLab's checkpoints stay out of `git status`."""

import re
import subprocess

from conftest import ROOT, VENV_BIN, run


def test_setup_builds_the_binary_once_and_says_what_it_builds():
    res = run(["make", "-n", "-B", "setup"], cwd=ROOT)
    assert res.returncode == 0, res.stderr
    builds = re.findall(r"\bbuild -o \S*bin/gohunt\b", res.stdout)
    assert len(builds) == 1, f"go build of bin/gohunt {len(builds)} times:\n{res.stdout}"
    assert "install.sh --sys-prefix --no-build" in res.stdout, res.stdout
    assert "compiling bin/gohunt" in res.stdout and "about 8 minutes" in res.stdout, res.stdout
    assert "still compiling" in res.stdout, "no progress line while a long build runs"


def test_editable_install_prints_no_banner():
    res = run([VENV_BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "-e", ROOT / "python"], cwd=ROOT)
    assert res.returncode == 0, res.stderr
    noise = res.stdout + res.stderr
    assert "Editable installation" not in noise and "!!" not in noise and "Warning" not in noise, noise


def test_jupyter_checkpoints_are_ignored():
    res = subprocess.run(["git", "check-ignore", "-q", "notebooks/.ipynb_checkpoints/00-getting-started-checkpoint.ipynb"],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, "notebooks/.ipynb_checkpoints/ would show in git status"
