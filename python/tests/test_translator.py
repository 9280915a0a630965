"""Tests of the papermill Go translator. The Go source it writes is compiled and run with the real
Go toolchain, so escaping and types are checked by Go itself, not by string comparison alone."""

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest
from papermill.exceptions import PapermillException

from papermill_gohunt import GoTranslator, go_literal, go_type
from papermill_gohunt.translator import go_string

GO = shutil.which("go") or "/usr/local/go/bin/go"


def run_go(decls, names, tmp_path):
    """Compiles and runs a program declaring decls (the injected cell's source), and returns, for
    each name, (Go type, JSON of the value or %v when JSON cannot hold it)."""
    body = [line for line in decls.splitlines() if line.strip() != 'import "math"']
    prints = "\n".join(f"\tshow({json.dumps(n)}, {n})" for n in names)
    src = (
        "package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"math\"\n)\n\n"
        "var _ = math.Pi\n\n"
        "func show(name string, v any) {\n"
        "\tb, err := json.Marshal(v)\n\tif err != nil {\n\t\tb = []byte(fmt.Sprint(v))\n\t}\n"
        "\tfmt.Printf(\"%s\\t%T\\t%s\\n\", name, v, b)\n}\n\n"
        "func main() {\n" + textwrap.indent("\n".join(body), "\t") + "\n" + prints + "\n}\n"
    )
    (tmp_path / "main.go").write_text(src, encoding="utf-8")
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="")
    res = subprocess.run(
        [GO, "run", "main.go"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
    )
    assert res.returncode == 0, f"go run failed:\n{res.stderr}\n--- source ---\n{src}"
    out = {}
    for line in res.stdout.splitlines():
        name, typ, val = line.split("\t", 2)
        out[name] = (typ, val)
    return out


def test_registered_when_papermill_is_imported():
    # A fresh interpreter that imports only papermill must find the translator: papermill loads
    # its engine entry points at import, and this package is one of them.
    code = (
        "import papermill\n"
        "from papermill.translators import papermill_translators as t\n"
        "print(t.find_translator('gohunt', 'go').__name__)\n"
        "print(t.find_translator('some-other-go-kernel', 'go').__name__)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["GoTranslator", "GoTranslator"]


def test_codify_shape():
    src = GoTranslator.codify(
        {"start": "2020-09-20", "dataset": "X", "limit": 50, "threshold": 0.5, "verbose": True}
    )
    assert src == (
        "// Parameters\n"
        'start := "2020-09-20"\n'
        'dataset := "X"\n'
        "limit := 50\n"
        "threshold := 0.5\n"
        "verbose := true\n"
    )


HOSTILE = [
    "plain",
    "",
    'quote " and backslash \\ and `backquote`',
    "line\nbreak\r\ttab\x00nul\x07bell\x1bESC\x7fDEL",
    "<script>alert(1)</script>",
    "bom\ufeffinside, zero width\u200bspace, rtl\u202eoverride",
    "line sep\u2028para sep\u2029",
    "emoji 😀 and CJK 漢字 and é",
    "private use \ue000 and unassigned \U000e0080",
    "*/ /* // not a comment",
    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
]


def test_strings_round_trip_through_go(tmp_path):
    params = {f"s{i}": s for i, s in enumerate(HOSTILE)}
    got = run_go(GoTranslator.codify(params), list(params), tmp_path)
    for name, want in params.items():
        typ, val = got[name]
        assert typ == "string"
        assert json.loads(val) == want, name


def test_string_literals_are_ascii_safe_where_needed():
    assert go_string('a"b') == '"a\\"b"'
    assert go_string("\ufeff") == '"\\ufeff"'
    assert go_string("\x00") == '"\\x00"'
    assert "\n" not in go_string("a\nb")
    assert go_string("\u2028") == '"\\u2028"'
    # A lone surrogate is not Unicode: keep its bytes rather than failing or dropping it.
    assert go_string("\ud800") == '"\\xed\\xa0\\x80"'


def test_numbers_bools_none_through_go(tmp_path):
    params = {
        "i": 42,
        "neg": -7,
        "big": 2**63 - 1,
        "small": -(2**63),
        "f": 0.1,
        "whole": 3.0,
        "exp": 1e300,
        "tiny": 5e-324,
        "t": True,
        "no": False,
        "nothing": None,
    }
    got = run_go(GoTranslator.codify(params), list(params), tmp_path)
    assert got["i"] == ("int", "42")
    assert got["neg"] == ("int", "-7")
    assert got["big"] == ("int", str(2**63 - 1))
    assert got["small"] == ("int", str(-(2**63)))
    assert got["f"] == ("float64", "0.1")
    assert got["whole"] == ("float64", "3")  # the type is what matters: 3.0 stays a float64
    assert got["exp"] == ("float64", "1e+300")
    assert float(got["tiny"][1]) == 5e-324
    assert got["t"] == ("bool", "true")
    assert got["no"] == ("bool", "false")
    assert got["nothing"] == ("<nil>", "null")


def test_non_finite_floats_import_math(tmp_path):
    params = {"pinf": math.inf, "ninf": -math.inf, "nan": math.nan, "fs": [1.5, math.inf]}
    src = GoTranslator.codify(params)
    assert src.splitlines()[:2] == ["// Parameters", 'import "math"']
    got = run_go(src, list(params), tmp_path)
    assert got["pinf"] == ("float64", "+Inf")
    assert got["ninf"] == ("float64", "-Inf")
    assert got["nan"] == ("float64", "NaN")
    assert got["fs"][0] == "[]float64"
    assert "import" not in GoTranslator.codify({"x": 1.5, "s": "math.Inf(1)"})


def test_composites_through_go(tmp_path):
    params = {
        "hosts": ["WORKSTATION5", "WORKSTATION6"],
        "ids": [4624, 4688],
        "nums": [1, 2.5],
        "flags": [True, False],
        "mixed": ["a", 1, None, True],
        "empty": [],
        "nested": [[1, 2], [3]],
        "ragged": [[1], ["a"]],
        "m": {"a": 1, "b": 2},
        "mf": {"a": 1, "b": 2.5},
        "mm": {"x": {"y": ["z"]}},
        "mixedmap": {"a": [1], "b": "c"},
        "intkeys": {1: "one", 2: "two"},
        "emptymap": {},
        "tuple": ("a", "b"),
    }
    got = run_go(GoTranslator.codify(params), list(params), tmp_path)
    want_types = {
        "hosts": "[]string",
        "ids": "[]int",
        "nums": "[]float64",
        "flags": "[]bool",
        "mixed": "[]interface {}",
        "empty": "[]interface {}",
        "nested": "[][]int",
        "ragged": "[]interface {}",
        "m": "map[string]int",
        "mf": "map[string]float64",
        "mm": "map[string]map[string][]string",
        "mixedmap": "map[string]interface {}",
        "intkeys": "map[int]string",
        "emptymap": "map[string]interface {}",
        "tuple": "[]string",
    }
    for name, typ in want_types.items():
        assert got[name][0] == typ, name
    for name in ("hosts", "ids", "nums", "flags", "mixed", "empty", "nested", "ragged", "m", "mf",
                 "mm", "mixedmap", "emptymap"):
        assert json.loads(got[name][1]) == params[name], name
    assert json.loads(got["intkeys"][1]) == {"1": "one", "2": "two"}
    assert json.loads(got["tuple"][1]) == ["a", "b"]


def test_types():
    assert go_type([1, 2.0]) == "[]float64"
    assert go_type({"a": [None]}) == "map[string][]any"
    assert go_literal(None) == "any(nil)"
    assert go_literal([None]) == "[]any{nil}"


def test_unrepresentable_values_name_the_parameter():
    with pytest.raises(PapermillException, match=r"parameter huge: integer .* does not fit a Go int"):
        GoTranslator.codify({"huge": 2**64})
    with pytest.raises(PapermillException, match=r"parameter k: .*not comparable"):
        GoTranslator.codify({"k": {("a",): 1}})


@pytest.mark.parametrize("name", ["a-b", "1x", "func", "range", "", "has space"])
def test_bad_names_are_rejected(name):
    with pytest.raises(PapermillException, match="not a valid Go identifier"):
        GoTranslator.codify({name: 1})


def test_other_values_become_strings(tmp_path):
    import datetime

    src = GoTranslator.codify({"when": datetime.date(2020, 9, 20)})
    assert 'when := "2020-09-20"' in src


def test_inspect_parameters_cell():
    cell = nbformat.v4.new_code_cell(
        source=textwrap.dedent(
            """\
            // Parameters of this hunt.
            start := "2020-09-20" // first day, UTC
            end := "2020-09-22"
            url := "http://127.0.0.1:9200" // not a comment: // inside the string
            limit := 50
            threshold := 0.5
            verbose := false
            hosts := []string{
                "WORKSTATION5", // help on a continuation line
                "WORKSTATION6",
            }
            var dataset = "empire_psexec"
            var window time.Duration = 5 * time.Minute // look-back
            var maxRows int
            raw := `multi
            line // still the string`
            """
        )
    )
    got = {p.name: p for p in GoTranslator.inspect(cell)}
    assert list(got) == ["start", "end", "url", "limit", "threshold", "verbose", "hosts",
                         "dataset", "window", "maxRows", "raw"]
    assert got["start"].inferred_type_name == "string"
    assert got["start"].default == '"2020-09-20"'
    assert got["start"].help == "first day, UTC"
    assert got["url"].default == '"http://127.0.0.1:9200"'
    assert got["url"].help == "not a comment: // inside the string"
    assert got["limit"].inferred_type_name == "int"
    assert got["threshold"].inferred_type_name == "float64"
    assert got["verbose"].inferred_type_name == "bool"
    assert got["hosts"].inferred_type_name == "[]string"
    assert got["dataset"].inferred_type_name == "string"
    assert got["window"].inferred_type_name == "time.Duration"
    assert got["window"].help == "look-back"
    assert got["maxRows"].inferred_type_name == "int"
    assert got["maxRows"].default == "None"
    assert got["raw"].inferred_type_name == "string"


def test_papermill_prepare_only_injects_after_parameters_cell(tmp_path):
    # papermill's own CLI, without running a kernel (--prepare-only): the injected cell is a Go
    # cell tagged injected-parameters right after the cell tagged parameters.
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "gohunt", "display_name": "Go (hunt)", "language": "go"}
    nb.metadata["language_info"] = {"name": "go"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# hunt"),
        nbformat.v4.new_code_cell('start := "2020-01-01"\nlimit := 5', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("fmt.Println(start, limit)"),
    ]
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    papermill = os.path.join(os.path.dirname(sys.executable), "papermill")
    res = subprocess.run(
        [papermill, str(src), str(out), "--prepare-only", "-p", "start", "2020-09-20",
         "-p", "dataset", "X", "-p", "limit", "20", "-p", "strict", "True",
         "-y", "hosts: [WORKSTATION5, WORKSTATION6]"],
        capture_output=True, text=True,
    )
    assert res.returncode == 0, res.stderr
    got = nbformat.read(out, as_version=4)
    assert [c.metadata.get("tags", []) for c in got.cells] == [[], ["parameters"], ["injected-parameters"], []]
    assert got.cells[2].source == (  # papermill puts -y values first
        "// Parameters\n"
        'hosts := []string{"WORKSTATION5", "WORKSTATION6"}\n'
        'start := "2020-09-20"\n'
        'dataset := "X"\n'
        "limit := 20\n"
        "strict := true\n"
    )
    help_res = subprocess.run([papermill, str(src), "--help-notebook"], capture_output=True, text=True)
    assert help_res.returncode == 0, help_res.stderr
    assert "start: string" in help_res.stdout and "limit: int" in help_res.stdout
