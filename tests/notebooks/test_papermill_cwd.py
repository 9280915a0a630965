"""papermill runs a playbook from anywhere: with no --cwd, the gohunt kernel starts in the
notebook's directory (as in JupyterLab and nbconvert), so the bundled data the notebook names by
relative paths is found; an explicit --cwd is kept."""

import nbformat

from conftest import NB_DIR, ROOT, VENV_BIN, check_executed, errors, require, run

SAM = NB_DIR / "16-sam-registry-dump.ipynb"


def papermill(args, cwd):
    pm = VENV_BIN / "papermill"
    require(pm, "papermill in the venv")
    return run([pm, *args], cwd=cwd)


def test_papermill_from_the_repository_root(tmp_path):
    out = tmp_path / "out.ipynb"
    res = papermill([SAM.relative_to(ROOT), out], cwd=ROOT)
    assert res.returncode == 0, res.stderr[-4000:]
    check_executed(nbformat.read(out, as_version=4), SAM.name)


def test_papermill_from_elsewhere_with_a_relative_output(tmp_path):
    res = papermill([SAM, "out.ipynb"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-4000:]
    # papermill's own paths stay relative to where it was started.
    check_executed(nbformat.read(tmp_path / "out.ipynb", as_version=4), SAM.name)


def test_papermill_keeps_an_explicit_cwd(tmp_path):
    """--cwd names a directory without the bundled data: the kernel runs there, so the read fails
    and says which file it could not find."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out.ipynb"
    res = papermill([SAM, out, "--cwd", elsewhere], cwd=ROOT)
    assert res.returncode != 0
    errs = errors(nbformat.read(out, as_version=4))
    assert errs and "empire_shell_reg_dump_sam.zip" in str(errs[0]), errs
