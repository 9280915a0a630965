"""Every playbook in notebooks/ runs headless with no error through nbconvert --execute, nbclient,
papermill (with parameters) and `gohunt run`, on the real gohunt kernel, and finds what it says it
finds. The committed copies are executed and static."""

import os
import re
from html.parser import HTMLParser

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import (
    EXPECT, GOHUNT, NB_DIR, NOTEBOOKS, STATIC_MIMES, VENV_BIN, check_executed, errors,
    outputs_text, require, run,
)

IDS = [p.name for p in NOTEBOOKS]


@pytest.fixture(autouse=True)
def local_mode(monkeypatch):
    """These runs use the bundled datasets: an ES_URL in the caller's environment must not switch
    the HELK walkthrough to Elasticsearch (test_es_mode.py covers that)."""
    monkeypatch.delenv("ES_URL", raising=False)


class ActiveContent(HTMLParser):
    """Collects script elements and event-handler attributes of an HTML fragment (text that
    merely looks like them, escaped, is not markup and is not collected)."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(tag)
        self.found += [f"{tag} {k}=" for k, _ in attrs if k.lower().startswith("on")]


def active_content(html):
    p = ActiveContent()
    p.feed(html)
    p.close()
    return p.found


def test_the_playbook_set():
    names = {p.name for p in NOTEBOOKS}
    assert names == set(EXPECT), f"notebooks and expectations differ: {names ^ set(EXPECT)}"
    analytics = [n for n in names if re.match(r"1\d-", n)]
    assert len(analytics) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_copy_is_executed_and_static(path):
    nb = nbformat.read(path, as_version=4)
    check_executed(nb, path.name)
    assert nb.metadata.kernelspec.name == "gohunt"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "one cell tagged parameters"
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            assert set(data) <= STATIC_MIMES, f"non-static output types {set(data) - STATIC_MIMES}"
            if data:
                assert "text/plain" in data, "every rich output has a text/plain fallback"
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            assert active_content(html) == [], "no scripts or event handlers in committed HTML"
    if re.match(r"1\d-", path.name):
        md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for want in ("ATT&CK", "Hypothesis", "Why it works", "Expected result", "## Result"):
            assert want in md, f"analytic lacks a {want!r} section"
        assert re.search(r"T\d{4}", md), "analytic names its ATT&CK technique id"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_nbconvert_execute(path, tmp_path):
    jupyter = VENV_BIN / "jupyter"
    require(jupyter, "the project venv")
    res = run([jupyter, "nbconvert", "--to", "notebook", "--execute", "--output-dir", tmp_path,
               "--ExecutePreprocessor.timeout=600", path], cwd=NB_DIR)
    assert res.returncode == 0, f"nbconvert --execute failed:\n{res.stderr[-4000:]}"
    check_executed(nbformat.read(tmp_path / path.name, as_version=4), path.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_nbclient(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="gohunt",
                            resources={"metadata": {"path": str(NB_DIR)}})
    client.execute()
    check_executed(nb, path.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_gohunt_run(path, tmp_path):
    require(GOHUNT, "bin/gohunt")
    out, report = tmp_path / path.name, tmp_path / "report.html"
    env = {k: v for k, v in os.environ.items() if k != "ES_URL"}
    res = run([GOHUNT, "run", path, "-o", out, "--html", report], env=env)
    assert res.returncode == 0, f"gohunt run failed:\n{res.stderr[-4000:]}"
    nb = nbformat.read(out, as_version=4)
    check_executed(nb, path.name)
    html = report.read_text(encoding="utf-8")
    assert active_content(html) == []
    assert "Content-Security-Policy" in html and "Every cell ran without error." in html
    for want in EXPECT[path.name]:
        assert want.replace("&", "&amp;") in html or want in html, f"report lacks {want!r}"


PSEXEC = NB_DIR / "11-psexec-service-creation.ipynb"
WINDOW = ["start", "2020-09-20T16:16:50", "end", "2020-09-20T16:17:30"]


def injected(nb):
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    idx = nb.cells.index(cells[0])
    assert "parameters" in nb.cells[idx - 1].metadata.get("tags", []), "injected right after parameters"
    return cells[0], idx


def count_of_read_cell(nb):
    """The events.Count() result shown by the cell that reads the dataset."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("events := hunt.Read("))
    return int(cell.outputs[-1]["data"]["text/plain"])


def test_papermill_with_parameters(tmp_path):
    papermill = VENV_BIN / "papermill"
    require(papermill, "papermill in the venv")
    out = tmp_path / "out.ipynb"
    res = run([papermill, PSEXEC, out, "--cwd", NB_DIR,
               "-p", WINDOW[0], WINDOW[1], "-p", WINDOW[2], WINDOW[3],
               "-p", "dataset", "data/empire_psexec_dcerpc_tcp_svcctl.zip"])
    assert res.returncode == 0, res.stderr[-4000:]
    nb = nbformat.read(out, as_version=4)
    cell, _ = injected(nb)
    assert cell.source == (
        "// Parameters\n"
        'start := "2020-09-20T16:16:50"\n'
        'end := "2020-09-20T16:17:30"\n'
        'dataset := "data/empire_psexec_dcerpc_tcp_svcctl.zip"\n'
    )
    check_executed(nb, PSEXEC.name)
    full = count_of_read_cell(nbformat.read(PSEXEC, as_version=4))
    windowed = count_of_read_cell(nb)
    assert 0 < windowed < full, f"the window parameters did not narrow the read: {windowed} of {full}"
    assert nb.metadata.papermill.parameters["start"] == "2020-09-20T16:16:50"


def test_gohunt_run_injects_parameters_as_papermill_does(tmp_path):
    require(GOHUNT, "bin/gohunt")
    papermill = VENV_BIN / "papermill"
    pm_out, run_out = tmp_path / "pm.ipynb", tmp_path / "run.ipynb"
    args = ["-p", "start", "2020-09-20T16:16:50", "-p", "limit", "20", "-p", "ratio", "0.5",
            "-p", "strict", "True", "-p", "note", 'say "hi"\\n<b>']
    res = run([papermill, PSEXEC, pm_out, "--prepare-only", *args])
    assert res.returncode == 0, res.stderr
    run_args = []
    for i in range(0, len(args), 3):
        run_args += ["-p", f"{args[i + 1]}={args[i + 2]}"]
    res = run([GOHUNT, "run", PSEXEC, "-o", run_out, "--html", "none", *run_args,
               "-p", "dataset=data/empire_psexec_dcerpc_tcp_svcctl.zip",
               "-p", "end=2020-09-20T16:17:30"])
    assert res.returncode == 0, res.stderr[-4000:]
    pm_cell, _ = injected(nbformat.read(pm_out, as_version=4))
    run_nb = nbformat.read(run_out, as_version=4)
    run_cell, _ = injected(run_nb)
    pm_lines = pm_cell.source.splitlines()
    run_lines = run_cell.source.splitlines()
    assert run_lines[: len(pm_lines)] == pm_lines, f"papermill:\n{pm_cell.source}\ngohunt run:\n{run_cell.source}"
    assert 'note := "say \\"hi\\"\\\\n<b>"' in pm_lines
    check_executed(run_nb, PSEXEC.name)
    assert run_nb.metadata.gohunt.parameters["limit"] == 20


def test_failures_name_the_cell(tmp_path):
    """A bad dataset parameter: papermill and gohunt run both fail and say which cell failed."""
    papermill = VENV_BIN / "papermill"
    res = run([papermill, PSEXEC, tmp_path / "pm.ipynb", "--cwd", NB_DIR, "-p", "dataset", "data/no-such.zip"])
    assert res.returncode != 0, f"papermill succeeded on a missing dataset:\n{res.stderr[-3000:]}"
    assert "no-such.zip" in res.stderr, f"papermill's error does not name the dataset:\n{res.stderr[-3000:]}"
    out, report = tmp_path / "run.ipynb", tmp_path / "run.html"
    res = run([GOHUNT, "run", PSEXEC, "-o", out, "--html", report, "-p", "dataset=data/no-such.zip"])
    assert res.returncode == 1, res.stderr
    m = re.search(r'cell (\d+) \(id (\w+), "events := hunt\.Read\(dataset\).*"\) failed: (hunt\.Error: .*no-such\.zip.*)', res.stderr)
    assert m, res.stderr
    nb = nbformat.read(out, as_version=4)  # written, with the failure recorded
    number = int(m.group(1))
    assert nb.cells[number - 1].id == m.group(2)
    assert errors(nb) and "no-such.zip" in errors(nb)[0][2]
    assert all(c.execution_count is None for c in nb.cells[number:] if c.cell_type == "code")
    html = report.read_text(encoding="utf-8")
    assert "Failed:" in html and f'href="#cell-{number}"' in html


def test_gohunt_run_usage_errors(tmp_path):
    require(GOHUNT, "bin/gohunt")
    for args, want in (([PSEXEC, "-p", "noequals"], "want name=value"),
                       ([PSEXEC, "-p", "1bad=2"], "not a valid Go identifier"),
                       ([], "exactly one NOTEBOOK")):
        res = run([GOHUNT, "run", *args])
        assert res.returncode == 2 and want in res.stderr, (args, res.returncode, res.stderr)
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    res = run([GOHUNT, "run", bad])
    assert res.returncode == 1 and "invalid JSON" in res.stderr


def test_papermill_composite_parameters_run_on_the_kernel(tmp_path):
    """Lists, maps, floats, bools, None and hostile strings from papermill's YAML parameters are
    valid Go for the kernel, with the types the translator promises."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "gohunt", "display_name": "Go (hunt)", "language": "go"}
    nb.cells = [
        nbformat.v4.new_code_cell('hosts := []string{}\nratio := 0.0', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            'fmt.Printf("%T %v\\n", hosts, hosts)\n'
            'fmt.Printf("%T %v\\n", ratio, ratio)\n'
            'fmt.Printf("%T %v\\n", ids, ids)\n'
            'fmt.Printf("%T %d\\n", limits, limits["rows"])\n'
            'fmt.Printf("%T %v\\n", strict, strict)\n'
            'fmt.Printf("%v\\n", nothing == nil)\n'
            'fmt.Printf("%q\\n", note)'),
    ]
    src, out = tmp_path / "p.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    yaml = ("hosts: [WORKSTATION5, WORKSTATION6]\nratio: 0.25\nids: [4624, 4688]\n"
            "limits: {rows: 20, cols: 5}\nstrict: true\nnothing: null\n"
            "note: \"quote \\\" backslash \\\\ <script>\\u2028 tab\\t\"\n")
    res = run([VENV_BIN / "papermill", src, out, "-y", yaml])
    assert res.returncode == 0, res.stderr[-3000:]
    got = nbformat.read(out, as_version=4)
    text = outputs_text(got)
    assert errors(got) == []
    assert "[]string [WORKSTATION5 WORKSTATION6]" in text
    assert "float64 0.25" in text
    assert "[]int [4624 4688]" in text
    assert "map[string]int 20" in text
    assert "bool true" in text
    assert "true\n" in text
    assert '"quote \\" backslash \\\\ <script>\\u2028 tab\\t"' in text


def test_gohunt_run_timeout_interrupts_the_cell(tmp_path):
    """--timeout interrupts a runaway cell through the kernel and fails the run naming it."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "gohunt", "display_name": "Go (hunt)", "language": "go"}
    nb.cells = [nbformat.v4.new_code_cell("n := 0"),
                nbformat.v4.new_code_cell("for {\n\tn++\n}"),
                nbformat.v4.new_code_cell("n")]
    src, out = tmp_path / "loop.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    res = run([GOHUNT, "run", src, "-o", out, "--html", "none", "--timeout", "2s"], timeout=60)
    assert res.returncode == 1, res.stderr
    assert re.search(r'cell 2 \(id [\w-]+, "for \{"\) failed: timed out after 2s \(interrupted\)', res.stderr), res.stderr
    got = nbformat.read(out, as_version=4)
    assert got.cells[0].execution_count == 1 and got.cells[2].execution_count is None


def test_gohunt_run_kernel_death_fails_fast(tmp_path):
    """A cell that kills its own kernel process ends the run at once, naming the cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "gohunt", "display_name": "Go (hunt)", "language": "go"}
    nb.cells = [nbformat.v4.new_code_cell("p, _ := os.FindProcess(os.Getppid())\np.Kill()"),
                nbformat.v4.new_code_cell("1 + 1")]
    src, out = tmp_path / "kill.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    res = run([GOHUNT, "run", src, "-o", out, "--html", "none"], timeout=30)
    assert res.returncode == 1, res.stderr
    assert re.search(r'cell 1 \(id [\w-]+, "p, _ := os.FindProcess\(os.Getppid\(\)\)"\) failed: the kernel process exited', res.stderr), res.stderr
