"""pySigma on the same rules and events as bench/sigma (the peer).

Usage: peer.py RULES_DIR EVENTS.jsonl LOGSOURCES.yaml > JSON

Loads the events into SQLite as the test oracle does (hunt/sigma/testdata/pysigma_oracle.py:
fields normalized with gohunt's field table, TEXT COLLATE NOCASE columns, indexes on EventID and
Channel; not timed as detection), then times pySigma converting every rule (Sysmon + Windows
log source pipelines, SQLite backend with collate_nocase) and SQLite executing every query, and
prints the hit count per rule id. Rules pySigma refuses (keyword search) are listed by id.
"""
import json
import os
import sys
import time

import yaml
from sigma.collection import SigmaCollection

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "hunt", "sigma", "testdata"))
from pysigma_oracle import build_db, load_events, query_rows, rule_files, sqlite_backend  # noqa: E402


def main():
    rules_dir, events_path, mapping_path = sys.argv[1:4]
    with open(mapping_path, encoding="utf-8") as fh:
        mapping = yaml.safe_load(fh)
    t0 = time.perf_counter()
    events = load_events(events_path, mapping)
    con, have = build_db(events)
    n = len(events)
    del events
    t1, c1 = time.perf_counter(), time.process_time()

    backend = sqlite_backend()
    converted, refused = [], []
    for path in rule_files(rules_dir):
        with open(path, encoding="utf-8") as fh:
            coll = SigmaCollection.from_yaml(fh.read())
        rid = str(coll.rules[0].id)
        try:
            converted.append((rid, backend.convert(coll)))
        except Exception:  # keyword search: the SQLite backend has no full-text search
            refused.append(rid)
    t2, c2 = time.perf_counter(), time.process_time()

    hits = {}
    for rid, queries in converted:
        rows = query_rows(con, have, queries)
        if rows:
            hits[rid] = len(rows)
    t3, c3 = time.perf_counter(), time.process_time()
    json.dump({"events": n, "rules": len(converted), "load_s": t1 - t0, "convert_s": t2 - t1, "exec_s": t3 - t2,
               "convert_cpu_s": c2 - c1, "exec_cpu_s": c3 - c2,
               "hits": hits, "refused": refused}, sys.stdout)


if __name__ == "__main__":
    main()
