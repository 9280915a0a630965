"""networkx on the same events as bench/graph (the peer).

Usage: peer.py EVENTS.jsonl > {"LoadS":..., "BuildS":..., "ComponentsS":..., "CPUS":..., "Vertices":...,
"Edges":..., "Logons":..., "Failures":..., "Components": [[smallest id, size], ...]}
(CPUS: the process CPU time of building and components.)

The graph is built as hunt.LogonGraph builds it: Security 4624/4625 give an edge from
DOMAIN\\user to Hostname and one from IpAddress to Hostname (not for "-", "::1", "127.0.0.1");
4648 gives an edge from DOMAIN\\user to TargetServerName (the logging host for "localhost").
Every edge keeps count, first, last, kind, the logon types seen and the failures.
"""
import json
import sys
import time

import networkx as nx

t0 = time.perf_counter()
events = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        events.append(json.loads(line))
t1 = time.perf_counter()
c1 = time.process_time()

g = nx.DiGraph()


def add(src, dst, kind, logon_type, failed, ts):
    if not src or not dst:
        return
    if g.has_edge(src, dst):
        a = g[src][dst]
        a["count"] += 1
        if ts < a["first"]:
            a["first"] = ts
        if ts > a["last"]:
            a["last"] = ts
        if logon_type is not None:
            a["logon_types"].add(logon_type)
        a["failures"] += failed
    else:
        g.add_edge(src, dst, kind=kind, count=1, first=ts, last=ts,
                   logon_types=set() if logon_type is None else {logon_type}, failures=failed)


def account(e):
    u = e.get("TargetUserName") or None
    d = e.get("TargetDomainName") or None
    if u is None:
        return None
    if d is None or d == "-":
        return u
    return d + "\\" + u


for e in events:
    if e.get("Channel", "").lower() != "security":
        continue
    eid = e.get("EventID")
    ts = e.get("@timestamp")
    host = e.get("Hostname") or None
    if eid in (4624, 4625):
        lt = e.get("LogonType") or None
        failed = 1 if eid == 4625 else 0
        add(account(e), host, "account", lt, failed, ts)
        ip = e.get("IpAddress") or "-"
        if ip not in ("-", "::1", "127.0.0.1"):
            add(ip, host, "ip", lt, failed, ts)
    elif eid == 4648:
        s = e.get("TargetServerName") or None
        add(account(e), host if s is None or s.lower() == "localhost" else s, "account", "explicit", 0, ts)
t2 = time.perf_counter()
comps = [[min(c), len(c)] for c in nx.weakly_connected_components(g)]
t3 = time.perf_counter()
c3 = time.process_time()
comps.sort()
json.dump({"LoadS": t1 - t0, "BuildS": t2 - t1, "ComponentsS": t3 - t2, "CPUS": c3 - c1,
           "Logons": sum(a["count"] for _, _, a in g.edges(data=True)),
           "Failures": sum(a["failures"] for _, _, a in g.edges(data=True)),
           "Vertices": g.number_of_nodes(), "Edges": g.number_of_edges(), "Components": comps}, sys.stdout)
