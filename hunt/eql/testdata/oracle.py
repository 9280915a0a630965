"""Reference results of EQL queries from the `eql` package (PyPI) for gohunt's tests.

Usage: oracle.py EVENTS CATEGORIES < queries.json > results.json

EVENTS is a zip of one JSON-lines file (a Mordor recording). CATEGORIES is hunt/eql's
categories.txt: each event gets the event type of its category (Channel, EventID), so that the
`eql` engine sees the same categories. Events are streamed in @timestamp order, ties in file
order. queries.json is a list of query strings; the output lists, per query, the matches as
[Channel, RecordNumber] pairs (event queries) or lists of them (sequences).
"""
import datetime
import json
import sys
import zipfile

import eql
from eql.engine import PythonEngine
from eql.events import Event


def categories(path):
    table = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        cat, channel, ids = line[0], line[1].lower(), line[2:]
        for i in ids:
            table[(channel, int(i))] = cat
    return table


def ticks(ts):
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp() * 1_000_000) * 10  # 100 ns ticks, as eql's maxspan


def main():
    events_path, cats_path = sys.argv[1], sys.argv[2]
    table = categories(cats_path)
    z = zipfile.ZipFile(events_path)
    raw = []
    for name in z.namelist():
        for line in z.open(name):
            line = line.strip()
            if line:
                raw.append(json.loads(line))
    evs = []
    for i, d in enumerate(raw):
        ts = d.get("@timestamp")
        if ts is None:
            continue
        cat = table.get((str(d.get("Channel", "")).lower(), d.get("EventID")), "unmapped")
        evs.append((ticks(ts), i, Event(cat, ticks(ts), d)))
    evs.sort(key=lambda e: (e[0], e[1]))
    out = []
    for q in json.load(sys.stdin):
        with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions:
            query = eql.parse_query(q)
        found = []

        def hook(result):
            found.append([[e.data.get("Channel"), e.data.get("RecordNumber")] for e in result.events])

        engine = PythonEngine()
        engine.add_query(query)
        engine.add_output_hook(hook)
        engine.stream_events([e[2] for e in evs])
        out.append(found)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
