"""The eql package's Python engine on the same events and query as bench/eql (the peer).

Usage: peer.py EVENTS.jsonl QUERY > {"load_s":..., "query_s":..., "query_cpu_s":..., "sequences":...}
(query_cpu_s: the process's CPU time for the query, as bench/eql reports gohunt's)
Events are JSON lines already in @timestamp order with an `event_type` (the category) and an
integer `ticks` (100 ns) time, as bench/eql writes them.
"""
import json
import sys
import time

import eql
from eql.engine import PythonEngine
from eql.events import Event

t0 = time.perf_counter()
events = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        d = json.loads(line)
        events.append(Event(d["event_type"], d["ticks"], d))
t1 = time.perf_counter()
c1 = time.process_time()
with eql.parser.elasticsearch_syntax:
    query = eql.parse_query(sys.argv[2])
found = [0]


def hook(result):
    found[0] += 1


engine = PythonEngine()
engine.add_query(query)
engine.add_output_hook(hook)
engine.stream_events(events)
t2 = time.perf_counter()
c2 = time.process_time()
json.dump({"load_s": t1 - t0, "query_s": t2 - t1, "query_cpu_s": c2 - c1, "sequences": found[0]}, sys.stdout)
