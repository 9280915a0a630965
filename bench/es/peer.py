"""Peers of bench/es: elasticsearch-py bulk ingest and helpers.scan, eland to_pandas.

usage: peer.py URL ingest|ingest-ids FILE INDEX | scan INDEX | eland INDEX

ingest-ids gives each document the id gohunt load gives it (elastic.DocumentID: the event's
@timestamp in milliseconds, 6 bytes big-endian, then the first 14 bytes of the line's sha256,
as unpadded base64url) and sends it as a create, as gohunt does, so that the node does the same
id look-ups for both; bench/es checks a sample of the ids.
Prints one JSON line: {"seconds": ..., "rows": ...}.
"""
import base64
import datetime
import hashlib
import json
import sys
import time

from elasticsearch import Elasticsearch, helpers


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def gohunt_id(line, doc):
    """elastic.DocumentID for the bench's events (a top-level RFC 3339 @timestamp string)."""
    digest = hashlib.sha256(line).digest()
    ts = doc.get("@timestamp")
    if isinstance(ts, str):
        ms = (datetime.datetime.fromisoformat(ts) - EPOCH) // datetime.timedelta(milliseconds=1)
        raw = ms.to_bytes(6, "big") + digest[:14]
    else:
        raw = digest[:20]
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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
                    doc = json.loads(line)
                    a = {"_index": index, "_source": doc}
                    if ids:
                        a["_id"] = gohunt_id(line.strip(), doc)
                        a["_op_type"] = "create"
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
