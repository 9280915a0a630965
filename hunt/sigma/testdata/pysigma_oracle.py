"""pySigma oracle for gohunt's Sigma engine.

Usage: python pysigma_oracle.py RULES_DIR EVENTS.jsonl LOGSOURCES.yaml OUT.json

Converts every rule under RULES_DIR with pySigma, the sysmon pipeline followed by the
windows-logsources pipeline, and the SQLite backend (collate_nocase=true, so that plain
equality is case-insensitive as the Sigma specification says; LIKE is case-insensitive in
SQLite), runs each query over the events (one JSON object per line, each with a "__row" id)
loaded into SQLite, and writes {rule file: {"id", "rows"} or {"error"}}.

The events are normalized with the field table of gohunt's logsources.yaml (a Sigma field takes
the first non-null of its columns, and event_data.X also serves X), so that the same mapping
gohunt applies at query time is applied here to the data.
"""
import json
import os
import re
import sqlite3
import sys
import time

import yaml
from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.pipelines.sysmon import sysmon_pipeline
from sigma.pipelines.windows import windows_logsource_pipeline


def load_events(path, mapping):
    fields = mapping.get("fields") or {}
    prefixes = mapping.get("prefixes") or []
    events = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            ev = json.loads(line)
            for k in list(ev):
                for p in prefixes:
                    if k.startswith(p) and ev.get(k[len(p):]) is None:
                        ev[k[len(p):]] = ev[k]
            for f, cands in fields.items():
                if ev.get(f) is None:
                    for c in cands:
                        if ev.get(c) is not None:
                            ev[f] = ev[c]
                            break
            events.append(ev)
    return events


def sql_value(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def build_db(events):
    con = sqlite3.connect(":memory:")

    def regexp(pattern, value):
        if value is None:
            return None
        try:
            return re.search(pattern, str(value)) is not None
        except re.error:
            return None

    con.create_function("REGEXP", 2, regexp, deterministic=True)
    cols = {}  # lower-case name -> column name (SQLite names are case-insensitive)
    for ev in events:
        for k in ev:
            cols.setdefault(k.lower(), k)
    names = list(cols.values())
    con.execute("CREATE TABLE logs (" + ", ".join('"%s" TEXT COLLATE NOCASE' % n.replace('"', '""') for n in names) + ")")
    index = {n.lower(): i for i, n in enumerate(names)}
    rows = []
    for ev in events:
        row = [None] * len(names)
        for k, v in ev.items():
            i = index[k.lower()]
            if row[i] is None:  # case-distinct duplicates: the first non-null wins
                row[i] = sql_value(v)
        rows.append(row)
    con.executemany("INSERT INTO logs VALUES (" + ",".join("?" * len(names)) + ")", rows)
    # Every log source condition starts with EventID or Channel: with these indexes a rule reads
    # only its events instead of scanning all of them.
    for c in ("EventID", "Channel"):
        if c.lower() in index:
            con.execute('CREATE INDEX "logs_%s" ON logs ("%s" COLLATE NOCASE)' % (c, c))
    con.execute("ANALYZE")
    return con, set(index)


def sqlite_backend():
    """pySigma's SQLite backend with the Sysmon then Windows log source pipelines."""
    return sqliteBackend(sysmon_pipeline() + windows_logsource_pipeline(), collate_nocase=True)


def rule_files(rules_dir):
    """The rule files under rules_dir, sorted."""
    files = []
    for root, _, names in os.walk(rules_dir):
        files += [os.path.join(root, n) for n in names if n.endswith((".yml", ".yaml"))]
    return sorted(files)


def query_rows(con, have, queries):
    """The __row ids the converted queries of one rule select. A column no event has is added
    (all NULL) when a query names it, so that the query runs as on events lacking the field."""
    rows = set()
    for q in queries:
        q = re.sub(r"^SELECT \* FROM", "SELECT __row FROM", q, count=1)
        while True:
            try:
                rows.update(r[0] for r in con.execute(q))
                break
            except sqlite3.OperationalError as e:
                m = re.match(r"no such column: (.+)$", str(e))
                if not m or m.group(1).lower() in have:
                    raise
                con.execute('ALTER TABLE logs ADD COLUMN "%s" TEXT COLLATE NOCASE' % m.group(1).strip('`"').replace('"', '""'))
                have.add(m.group(1).lower())
    return rows


def main():
    started = time.time()
    rules_dir, events_path, mapping_path, out_path = sys.argv[1:5]
    with open(mapping_path, encoding="utf-8") as fh:
        mapping = yaml.safe_load(fh)
    con, have = build_db(load_events(events_path, mapping))
    backend = sqlite_backend()
    out = {}
    for path in rule_files(rules_dir):
        rel = os.path.relpath(path, rules_dir)
        try:
            with open(path, encoding="utf-8") as fh:
                coll = SigmaCollection.from_yaml(fh.read())
            rule = coll.rules[0]
            queries = backend.convert(coll)
        except Exception as e:  # pySigma refuses the rule: recorded with its reason
            out[rel] = {"error": "%s: %s" % (type(e).__name__, e)}
            continue
        try:
            rows = query_rows(con, have, queries)
        except Exception as e:
            out[rel] = {"error": "executing: %s: %s" % (type(e).__name__, e)}
            continue
        out[rel] = {"id": str(rule.id), "rows": sorted(int(r) for r in rows)}
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh)
    print("pySigma oracle: %d rules in %.1f s" % (len(out), time.time() - started))


if __name__ == "__main__":
    main()
