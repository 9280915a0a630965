"""PySpark's own Spark Connect client: the peer of bench/spark on the same server.

usage: peer.py URL gen PATH N     write N synthetic events as Parquet at PATH (setup, not timed)
       peer.py URL groupby PATH R time the filter + group-by R times; print JSON {"seconds": [...], "rows": [...]}
       peer.py URL show PATH R    time df.show() R times; print JSON {"seconds": [...], "rows": first 20 rows}
       peer.py URL serve - 0      read "groupby PATH", "show PATH", "exec B64SQL" (a statement) or
                                  "showsql B64SQL" (spark.sql(q).show(20, False), then its rows) lines on
                                  stdin; run each once and print one JSON line {"seconds": [t], "rows": [...]}
                                  (runs interleaved with gohunt's)
"""
import base64
import contextlib
import io
import json
import sys
import time

from pyspark.sql import SparkSession


def main():
    url, mode, path = sys.argv[1], sys.argv[2], sys.argv[3]
    spark = SparkSession.builder.remote(url).getOrCreate()
    if mode == "gen":
        n = int(sys.argv[4])
        spark.range(n).selectExpr(
            "element_at(array(1, 3, 5, 10, 11, 13, 22), CAST(id % 7 AS INT) + 1) AS EventID",
            "concat('wks', CAST(id % 200 AS STRING)) AS Hostname",
            "element_at(array('cmd.exe', 'powershell.exe', 'svchost.exe', 'rundll32.exe', 'explorer.exe'), CAST((id DIV 7) % 5 AS INT) + 1) AS Image",
            "concat('user', CAST(id % 37 AS STRING)) AS User",
            "id AS RecordNumber",
            "timestamp_seconds(1700000000 + id) AS ts",
        ).write.mode("overwrite").parquet(path)
        print(json.dumps({"rows": n}))
        return
    reps = int(sys.argv[4])
    if mode == "serve":
        for line in sys.stdin:
            m, p = line.rstrip("\n").split(" ", 1)
            if m in ("exec", "showsql"):
                q = base64.b64decode(p).decode()
                t = time.perf_counter()
                if m == "exec":
                    spark.sql(q)
                else:
                    with contextlib.redirect_stdout(io.StringIO()):
                        spark.sql(q).show(20, False)
                secs = time.perf_counter() - t
                rows = [list(r) for r in spark.sql(q).collect()] if m == "showsql" else []
                print(json.dumps({"seconds": [secs], "rows": rows}, default=str), flush=True)
                continue
            t = time.perf_counter()
            if m == "groupby":
                out = spark.read.parquet(p).where("EventID = 10").groupBy("Hostname", "Image").count().collect()
            elif m == "show":
                with contextlib.redirect_stdout(io.StringIO()):
                    spark.read.parquet(p).show()
            else:
                raise SystemExit("unknown mode " + m)
            secs = time.perf_counter() - t
            if m == "groupby":
                rows = [[r["Hostname"], r["Image"], r["count"]] for r in out]
            else:
                rows = [[r["EventID"], r["Hostname"], r["Image"], r["User"], r["RecordNumber"]] for r in spark.read.parquet(p).head(20)]
            print(json.dumps({"seconds": [secs], "rows": rows}), flush=True)
        return
    secs, rows = [], None
    for _ in range(reps):
        t = time.perf_counter()
        if mode == "groupby":
            out = spark.read.parquet(path).where("EventID = 10").groupBy("Hostname", "Image").count().collect()
        elif mode == "show":
            with contextlib.redirect_stdout(io.StringIO()):
                spark.read.parquet(path).show()
        else:
            raise SystemExit("unknown mode " + mode)
        secs.append(time.perf_counter() - t)
        if mode == "groupby":
            rows = [[r["Hostname"], r["Image"], r["count"]] for r in out]
    if mode == "show":
        # The rows show() printed, taken the same way (the first 20 of the scan), for the check.
        rows = [[r["EventID"], r["Hostname"], r["Image"], r["User"], r["RecordNumber"]] for r in spark.read.parquet(path).head(20)]
    print(json.dumps({"seconds": secs, "rows": rows}))


if __name__ == "__main__":
    main()
