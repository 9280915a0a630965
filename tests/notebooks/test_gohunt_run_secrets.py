"""Credentials never land in what `gohunt run` saves: a playbook that prints an ES URL with a
password, sets and prints a token, shows a link with userinfo, lists the environment, takes a
password parameter and fails with a URL in its panic writes a notebook and a report (and a
failure message) holding none of the secrets, with the rest of each line kept."""

import json
import os

import nbformat

from conftest import GOHUNT, require, run

SECRETS = ["s3cretpw", "ghp_tok3nvalue", "htmlpw", "envpw99", "paramsecret", "urlpw"]


def test_gohunt_run_saves_no_credentials(tmp_path):
    require(GOHUNT, "bin/gohunt")
    # Every secret comes from the environment or the command line: none is in a cell's source
    # (the author's text, saved as written).
    cells = [
        ("code", 'import (\n\t"fmt"\n\t"os"\n)', ["parameters"]),
        ("code", 'fmt.Println("node at", os.Getenv("ES_URL"))', []),
        ("code", 'fmt.Println("GITHUB_TOKEN=" + os.Getenv("GITHUB_TOKEN"))', []),
        ("code", 'display.HTML(`<a href="` + os.Getenv("LINK") + `">link</a> ` + os.Getenv("LINK"))', []),
        ("code", "%env", []),
        ("code", "fmt.Println(es_url, len(es_password))", []),
        ("code", 'panic("connecting to " + os.Getenv("ES_URL") + " failed")', []),
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "gohunt", "display_name": "Go (hunt)", "language": "go"}
    for kind, src, tags in cells:
        c = nbformat.v4.new_code_cell(src)
        c.metadata["tags"] = tags
        nb.cells.append(c)
    path, out, report = tmp_path / "secrets.ipynb", tmp_path / "out.ipynb", tmp_path / "report.html"
    nbformat.write(nb, path)
    env = {**os.environ, "ES_PASSWORD": "envpw99", "ES_URL": "http://elastic:s3cretpw@127.0.0.1:9/",
           "GITHUB_TOKEN": "ghp_tok3nvalue", "LINK": "http://u:htmlpw@example.org/y"}
    res = run([GOHUNT, "run", path, "-o", out, "--html", report,
               "-p", "es_password=paramsecret", "-p", "es_url=http://e:urlpw@127.0.0.1:9/"], env=env)
    # The last cell fails on purpose: the run says so, and still writes both files.
    assert res.returncode == 1, res.stderr[-3000:]
    assert "cell 8" in res.stderr and "failed" in res.stderr, res.stderr[-3000:]
    saved = out.read_text(encoding="utf-8")
    html = report.read_text(encoding="utf-8")
    for name, text in [("notebook", saved), ("report", html), ("stderr", res.stderr)]:
        leaked = [s for s in SECRETS if s in text]
        assert leaked == [], f"{name} holds {leaked}"
    # What is not secret stays: the host of each URL, the user names, the parameter names.
    got = nbformat.reads(saved, as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in got.cells])
    for want in ["node at http://elastic:<hidden>@127.0.0.1:9/", "GITHUB_TOKEN=<hidden>",
                 "http://u:<hidden>@example.org/y", "ES_PASSWORD=<hidden>",
                 "http://e:<hidden>@127.0.0.1:9/ 11", "connecting to http://elastic:<hidden>@127.0.0.1:9/ failed"]:
        assert want in outputs, f"outputs lack {want!r}"
    injected = next(c for c in got.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'es_password := "<hidden>"' in injected.source
    assert 'es_url := "http://e:<hidden>@127.0.0.1:9/"' in injected.source
    assert "&lt;hidden&gt;" in html
