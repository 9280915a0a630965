"""IOC test oracle: msticpy's IoCExtract on the strings hunt/ioc_oracle_test.go sends.

Reads a JSON list of strings on stdin and writes a JSON list of the same length: for each string,
an object {type: [values]} of what IoCExtract.extract(src=...) finds (defanged forms on, its
default), values re-fanged with msticpy's own refang_ioc. Types asked for: ipv4, ipv6, dns, url,
email, md5_hash, sha1_hash, sha256_hash, windows_path.

tldextract (which msticpy's domain check uses) is pointed at the Public Suffix List snapshot it
ships, so nothing is fetched from the network.
"""

import json
import sys

import tldextract
import tldextract.tldextract as tx

tx.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

from msticpy.common.utility.format import refang_ioc  # noqa: E402
from msticpy.transform.iocextract import IoCExtract  # noqa: E402

TYPES = ["ipv4", "ipv6", "dns", "url", "email", "md5_hash", "sha1_hash", "sha256_hash", "windows_path"]


def main():
    strings = json.load(sys.stdin)
    ext = IoCExtract()
    out = []
    for s in strings:
        found = ext.extract(src=s, ioc_types=TYPES) if s and s.strip() else {}
        out.append({t: sorted(refang_ioc(v, t) for v in vals) for t, vals in found.items() if vals})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
