"""hunt through the real gohunt kernel (nbclient): a frame displays as an HTML table with a
text/plain twin, hostile strings are escaped, `%%sql -o name` shows the result and binds it to a
Go variable, a multi-value terminal shows its value, and a deferred frame error fails the cell
naming the column and its near match. (HUNT, issue 3; the playbook tests are test_notebooks.py.)"""

import nbformat
from nbclient import NotebookClient

from conftest import ROOT

SAM = str(ROOT / "testdata" / "mordor" / "empire_shell_reg_dump_sam.zip")


def run_cells(sources, raises=()):
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        c = nbformat.v4.new_code_cell(src)
        if i in raises:
            c.metadata["tags"] = ["raises-exception"]
        nb.cells.append(c)
    nb.metadata["kernelspec"] = {"name": "gohunt", "display_name": "Go (hunt)", "language": "go"}
    NotebookClient(nb, timeout=300, kernel_name="gohunt", resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb.cells


def result(cell):
    outs = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    assert outs, f"no displayed result for {cell.source!r}: {cell.outputs}"
    return outs[-1].data


def test_hunt_in_the_kernel():
    cells = run_cells([
        f'events := hunt.Read("{SAM}")',
        'events.Where(hunt.Col("EventID").Eq(1)).Select("Hostname", "Image", "CommandLine")',
        'hunt.FromRows([]map[string]any{{"CommandLine": "<script>alert(1)</script><img src=x onerror=alert(2)></table>"}})',
        'events.As("mordorTable")',
        '%%sql -o regdump\nSELECT Hostname, CommandLine FROM mordorTable\nWHERE Channel = "Microsoft-Windows-Sysmon/Operational" AND EventID = 1 AND Image LIKE "%reg.exe"',
        'regdump.Count()',
        'events.Where(hunt.Col("EventId").Eq(1))',
    ], raises={6})

    table = result(cells[1])
    assert "<table>" in table["text/html"] and "reg.exe" in table["text/html"]
    assert "1 row, 3 columns" in table["text/html"]
    assert table["text/plain"].startswith("+") and "Hostname" in table["text/plain"]

    hostile = result(cells[2])["text/html"]
    assert "<script>" not in hostile and "<img" not in hostile and "&lt;/table&gt;" in hostile
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile

    registered = result(cells[3])
    assert "<table" not in registered["text/html"], registered
    assert registered["text/plain"].startswith('registered as "mordorTable" ('), registered

    sql = result(cells[4])
    assert "reg.exe&#34; save HKLM\\sam sam" in sql["text/html"] and "1 row, 2 columns" in sql["text/plain"]

    count = result(cells[5])["text/plain"]
    assert "1" in count, count

    errs = [o for o in cells[6].outputs if o.output_type == "error"]
    assert errs, cells[6].outputs
    assert '"EventId"' in errs[0].evalue and '"EventID"' in errs[0].evalue, errs[0].evalue
