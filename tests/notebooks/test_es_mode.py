"""The HELK seed walkthrough against a real Elasticsearch holding HELK-shaped data.

Run by `make test-playbooks-es`, which starts a node with scripts/es.sh and sets ES_URL. The
walkthrough's recording is loaded with `gohunt load --helk`; the notebook then runs with ES_URL
set (gohunt run) and with -p esURL (papermill), and its Part 4 join must give exactly the rows
of the local run."""

import os

import nbformat
import pytest

from conftest import GOHUNT, NB_DIR, VENV_BIN, check_executed, require, run

SEED = NB_DIR / "01-helk-seed-walkthrough.ipynb"
DATASET = NB_DIR / "data" / "empire_wmi_dcerpc_wmi_IWbemServices_ExecMethod.zip"


@pytest.fixture(scope="module")
def es_url():
    url = os.environ.get("ES_URL")
    if not url:
        pytest.fail("ES_URL is not set: run this file through `make test-playbooks-es`, which starts Elasticsearch")
    require(GOHUNT, "bin/gohunt")
    res = run([GOHUNT, "load", "--helk", "--url", url, "-q", DATASET])
    assert res.returncode == 0, f"gohunt load --helk failed:\n{res.stderr}"
    return url


def last_output(nb):
    code = [c for c in nb.cells if c.cell_type == "code"]
    return code[-1].outputs[-1]["data"]["text/plain"]


def sources_line(nb):
    for c in nb.cells:
        for o in c.get("outputs", []):
            if o.output_type == "stream" and o.text.startswith("reading"):
                return o.text
    return ""


def test_seed_walkthrough_on_es_matches_local(es_url, tmp_path):
    local = tmp_path / "local.ipynb"
    env = {k: v for k, v in os.environ.items() if k != "ES_URL"}
    res = run([GOHUNT, "run", "-q", SEED, "-o", local, "--html", "none"], env=env)
    assert res.returncode == 0, res.stderr
    es = tmp_path / "es.ipynb"
    res = run([GOHUNT, "run", "-q", SEED, "-o", es, "--html", "none"], env=dict(os.environ, ES_URL=es_url))
    assert res.returncode == 0, res.stderr
    nb_local, nb_es = nbformat.read(local, as_version=4), nbformat.read(es, as_version=4)
    check_executed(nb_es, SEED.name)
    assert "reading hunt.ES" in sources_line(nb_es) or es_url in sources_line(nb_es), sources_line(nb_es)
    assert sources_line(nb_local).startswith("reading data/")
    assert last_output(nb_es) == last_output(nb_local)
    assert "3 rows" in last_output(nb_es)


def test_seed_walkthrough_on_es_with_papermill(es_url, tmp_path):
    out = tmp_path / "pm.ipynb"
    env = {k: v for k, v in os.environ.items() if k != "ES_URL"}
    res = run([VENV_BIN / "papermill", SEED, out, "--cwd", NB_DIR, "-p", "esURL", es_url], env=env)
    assert res.returncode == 0, res.stderr[-4000:]
    nb = nbformat.read(out, as_version=4)
    check_executed(nb, SEED.name)
    assert es_url in sources_line(nb) or "hunt.ES" in sources_line(nb)
