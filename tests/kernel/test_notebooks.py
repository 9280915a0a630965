"""nbconvert --execute and nbclient run tests/kernel/sample.ipynb on the gohunt kernel and get
outputs of every kind."""
import os
import subprocess
import sys

import nbformat
from nbclient import NotebookClient

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "sample.ipynb")


def check_outputs(nb):
    cells = [c for c in nb.cells if c.cell_type == "code"]
    outs = [c.outputs for c in cells]
    kinds = {o.output_type for cell in outs for o in cell}
    assert {"stream", "execute_result", "display_data", "error"} <= kinds, kinds

    assert outs[0] == [nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "to stdout\n"})]
    assert outs[1][0].name == "stderr" and outs[1][0].text == "to stderr\n"
    assert outs[2][0].output_type == "execute_result" and outs[2][0].data["text/plain"] == "42"
    assert outs[2][0].execution_count == cells[2].execution_count
    mimes = [next(k for k in o.data if k != "text/plain") for o in outs[3]]
    assert mimes == ["text/html", "text/markdown", "image/svg+xml"], mimes
    assert "image/png" in outs[4][0].data and outs[4][0].data["image/png"]
    # update_display_data replaced the shown value in place.
    assert len(outs[5]) == 1 and "step 2" in outs[5][0].data["text/plain"], outs[5]
    # clear_output(wait=True): only what came after the clear is kept.
    assert [o.get("text") for o in outs[6]] == ["after clear\n"], outs[6]
    assert outs[7][0].output_type == "error" and "expected failure" in outs[7][0].evalue
    assert outs[8][0].data["text/plain"] == "43"


def test_nbclient():
    nb = nbformat.read(SAMPLE, as_version=4)
    NotebookClient(nb, kernel_name="gohunt", timeout=120).execute()
    check_outputs(nb)


def test_nbconvert_execute(tmp_path):
    out = tmp_path / "executed.ipynb"
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.kernel_name=gohunt", "--ExecutePreprocessor.timeout=120",
         "--output", str(out), SAMPLE],
        check=True,
    )
    check_outputs(nbformat.read(out, as_version=4))
