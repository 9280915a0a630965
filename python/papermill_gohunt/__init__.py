"""papermill_gohunt teaches papermill to inject parameters into Go notebooks run on gohunt.

papermill picks a parameter translator by kernel name, then by language, and ships none for Go.
It also has no entry point for translators, so this package is registered as a papermill
*engine* entry point ("gohunt"): papermill imports every engine entry point when it starts, and
importing this package registers GoTranslator for the language "go" and the kernel "gohunt".
The engine it names, GohuntEngine, is papermill's own nbclient engine, unchanged; it exists only so
that the entry point has something to load.
"""

from papermill.engines import NBClientEngine
from papermill.translators import papermill_translators

from .translator import GoTranslator, go_literal, go_type

__all__ = ["GoTranslator", "GohuntEngine", "go_literal", "go_type", "register"]

# Names papermill may look the translator up by: the notebook's kernelspec name and its language.
KERNEL_NAMES = ("gohunt", "go")


class GohuntEngine(NBClientEngine):
    """papermill's nbclient engine under the name "gohunt" (see the module doc)."""


def register():
    """Registers GoTranslator with papermill for every name in KERNEL_NAMES (idempotent)."""
    for name in KERNEL_NAMES:
        papermill_translators.register(name, GoTranslator)


register()
