"""bench-ioc peer: msticpy's IoCExtract over the first N command lines of a JSON-lines file.

Prints one JSON object: lines scanned, seconds (extraction only, best of the runs asked for) and
indicators found per msticpy type (each (type, value) once per line, counted over lines, as
gohunt's IOCs counts rows). tldextract uses the suffix list snapshot it ships (no network).
"""

import json
import sys
import time
from collections import Counter

import tldextract
import tldextract.tldextract as tx

tx.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

from msticpy.transform.iocextract import IoCExtract  # noqa: E402

TYPES = ["ipv4", "ipv6", "dns", "url", "email", "md5_hash", "sha1_hash", "sha256_hash", "windows_path"]


def main():
    path, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(lines) >= n:
                break
            lines.append(json.loads(line)["CommandLine"])
    ext = IoCExtract()
    ext.extract(src=lines[0], ioc_types=TYPES)  # warm-up: patterns compiled, TLD list loaded
    best = None
    for _ in range(runs):
        per_type = Counter()
        t0 = time.perf_counter()
        for s in lines:
            for typ, vals in ext.extract(src=s, ioc_types=TYPES).items():
                per_type[typ] += len(vals)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    json.dump({"lines": len(lines), "seconds": best, "per_type": per_type}, sys.stdout)


if __name__ == "__main__":
    main()
