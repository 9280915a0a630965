"""kernel_dir: where papermill starts a gohunt kernel when it is given no working directory."""

import os

import papermill  # noqa: F401  (papermill imports papermill_gohunt as an engine entry point first)
from papermill_gohunt import kernel_dir

NB = {"metadata": {"kernelspec": {"name": "gohunt", "language": "go"}}}


def test_gohunt_notebook_runs_in_its_directory(tmp_path):
    nb_path = tmp_path / "sub" / "x.ipynb"
    assert kernel_dir("gohunt", NB, str(nb_path), cwd="/start", start_dir="/start") == str(tmp_path / "sub")
    # The kernel name may come from the notebook alone.
    assert kernel_dir(None, NB, str(nb_path), cwd="/start", start_dir="/start") == str(tmp_path / "sub")
    # A relative notebook path is taken from where papermill runs.
    assert kernel_dir("gohunt", NB, "notebooks/x.ipynb") == os.path.join(os.getcwd(), "notebooks")


def test_papermill_choices_are_kept(tmp_path):
    nb_path = str(tmp_path / "x.ipynb")
    assert kernel_dir("gohunt", NB, nb_path, cwd=str(tmp_path), start_dir="/start") is None  # --cwd given
    assert kernel_dir("python3", {"metadata": {}}, nb_path, cwd="/s", start_dir="/s") is None  # not gohunt
    assert kernel_dir("gohunt", NB, "s3://bucket/x.ipynb", cwd="/s", start_dir="/s") is None  # remote
    assert kernel_dir("gohunt", NB, "-", cwd="/s", start_dir="/s") is None  # stdin
    assert kernel_dir("gohunt", NB, None, cwd="/s", start_dir="/s") is None
