"""papermill_gohunt teaches papermill to inject parameters into Go notebooks run on gohunt.

papermill picks a parameter translator by kernel name, then by language, and ships none for Go.
It also has no entry point for translators, so this package is registered as a papermill
*engine* entry point ("gohunt"): papermill imports every engine entry point when it starts, and
importing this package registers GoTranslator for the language "go" and the kernel "gohunt".
The engine it names, GohuntEngine, is papermill's own nbclient engine, unchanged; it exists only so
that the entry point has something to load.

It also starts a gohunt kernel in the notebook's own directory, as JupyterLab and nbconvert do,
when papermill is given no working directory (no --cwd, no cwd=): the playbooks read their
bundled data by paths relative to themselves, so `papermill notebooks/X.ipynb out.ipynb` from
the repository root finds it. An explicit --cwd (any directory but the one papermill started
in) is kept, and so are kernels other than gohunt.
"""

import functools
import os

from papermill.engines import NBClientEngine, papermill_engines
from papermill.translators import papermill_translators

from .translator import GoTranslator, go_literal, go_type

__all__ = ["GoTranslator", "GohuntEngine", "go_literal", "go_type", "register", "kernel_dir"]

# Names papermill may look the translator up by: the notebook's kernelspec name and its language.
KERNEL_NAMES = ("gohunt", "go")


class GohuntEngine(NBClientEngine):
    """papermill's nbclient engine under the name "gohunt" (see the module doc)."""


def register():
    """Registers GoTranslator with papermill for every name in KERNEL_NAMES (idempotent)."""
    for name in KERNEL_NAMES:
        papermill_translators.register(name, GoTranslator)


# The directory papermill started in: when the engine runs in it, papermill was given no other.
_START_DIR = os.getcwd()


def kernel_dir(kernel_name, nb, input_path, cwd=None, start_dir=None):
    """The directory a gohunt kernel should start in, or None to leave papermill's choice.

    It is the notebook's directory when the kernel is gohunt, the notebook is a local file and
    the working directory (cwd, default os.getcwd()) is still the one papermill started in
    (start_dir, default the directory at import), that is when no --cwd moved it."""
    cwd = os.getcwd() if cwd is None else cwd
    start_dir = _START_DIR if start_dir is None else start_dir
    spec = (nb.get("metadata", {}) or {}).get("kernelspec", {}) or {}
    if (kernel_name or spec.get("name")) not in KERNEL_NAMES or not input_path:
        return None
    if "://" in str(input_path) or str(input_path) == "-":
        return None  # a remote or piped notebook has no directory of its own
    if os.path.realpath(cwd) != os.path.realpath(start_dir):
        return None
    return os.path.dirname(os.path.abspath(input_path))


def _in_notebook_dir(execute):
    """Wraps papermill's engine dispatch so that a gohunt kernel starts where kernel_dir says.
    The kernel's directory goes to nbclient as resources.metadata.path (what nbconvert passes);
    papermill's own working directory, and so its output paths, stay as they were."""

    @functools.wraps(execute)
    def run(engine_name, nb, kernel_name, **kwargs):
        if "resources" not in kwargs:
            d = kernel_dir(kernel_name, nb, kwargs.get("input_path"))
            if d is not None:
                kwargs["resources"] = {"metadata": {"path": d}}
        return execute(engine_name, nb, kernel_name, **kwargs)

    run.gohunt_wrapped = True
    return run


register()
if not getattr(papermill_engines.execute_notebook_with_engine, "gohunt_wrapped", False):
    papermill_engines.execute_notebook_with_engine = _in_notebook_dir(papermill_engines.execute_notebook_with_engine)
