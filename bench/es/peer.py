"""Peers of bench/es: elasticsearch-py bulk ingest and helpers.scan, eland to_pandas.

usage: peer.py URL ingest|ingest-ids FILE INDEX | scan INDEX | eland INDEX

ingest-ids gives each document the id gohunt load gives it (sha256 of the line, first 20 bytes
in hex), so that the node does the same id look-ups for both.
Prints one JSON line: {"seconds": ..., "rows": ...}.
"""
import hashlib
import json
import sys
import time

from elasticsearch import Elasticsearch, helpers


def main():
    url, what = sys.argv[1], sys.argv[2]
    es = Elasticsearch(url, request_timeout=120)
    t0 = time.perf_counter()
    if what in ("ingest", "ingest-ids"):
        path, index = sys.argv[3], sys.argv[4]
        ids = what == "ingest-ids"

        def actions():
            with open(path, "rb") as f:
                for line in f:
                    a = {"_index": index, "_source": json.loads(line)}
                    if ids:
                        a["_id"] = hashlib.sha256(line.strip()).hexdigest()[:40]
                    yield a

        ok = 0
        for success, _ in helpers.parallel_bulk(es, actions(), thread_count=2, chunk_size=2000, raise_on_error=True):
            ok += success
        es.indices.refresh(index=index)
        rows = ok
    elif what == "scan":
        index = sys.argv[3]
        rows = 0
        for _ in helpers.scan(es, index=index, size=5000, query={"query": {"match_all": {}}}):
            rows += 1
    elif what == "eland":
        import eland as ed

        # The integ-test distribution has no GET / (info) endpoint, which eland asks for the
        # server version: take the version from the nodes API instead.
        nodes = es.nodes.info(metric="http")
        es._eland_es_version = tuple(int(x) for x in next(iter(nodes["nodes"].values()))["version"].split(".")[:3])
        df = ed.DataFrame(es, es_index_pattern=sys.argv[3]).to_pandas()
        rows = len(df)
    else:
        raise SystemExit("unknown mode " + what)
    print(json.dumps({"seconds": time.perf_counter() - t0, "rows": rows}))


if __name__ == "__main__":
    main()
