"""Shared set-up for the gohunt kernel tests.

The tests drive the installed kernelspec "gohunt" (./install.sh --sys-prefix, run by
`make setup`). History goes to a throw-away Jupyter data dir so runs do not see each other.
"""
import os
import shutil
import tempfile

import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

# Set before any kernel starts: kernels inherit it and keep their history file under it.
_DATA_DIR = tempfile.mkdtemp(prefix="gohunt-jupyter-data-")
os.environ["JUPYTER_DATA_DIR"] = _DATA_DIR

KERNEL_NAME = "gohunt"


def pytest_sessionstart(session):
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        raise pytest.UsageError(
            "kernelspec 'gohunt' is not installed: run ./install.sh --sys-prefix (make setup) first"
        )
    if not os.access(spec.argv[0], os.X_OK):
        raise pytest.UsageError(f"kernelspec gohunt points at {spec.argv[0]}, which is not executable")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped kernel test is a failure: every test here must run."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but every kernel test must run: {reason}"
