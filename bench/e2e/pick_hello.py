#!/usr/bin/env python3
"""Prints "<absolute file> <sni>" for the ClientHello fixture the benchmark should send.

Reads MANIFEST.tsv in the fixtures directory (a header row, then one row per capture). Prefers
Chromium's post-quantum hello, the largest one browsers send; otherwise the first row with an SNI.
"""
import csv
import os
import sys


def main() -> None:
    directory = sys.argv[1]
    with open(os.path.join(directory, "MANIFEST.tsv"), newline="") as f:
        rows = [r for r in csv.DictReader((line for line in f if not line.startswith("#")),
                                          delimiter="\t")]

    def column(row, *names):
        for key, value in row.items():
            if key and key.strip().lower() in names and value:
                return value.strip()
        return ""

    candidates = []
    for row in rows:
        name = column(row, "file", "path", "name", "fixture")
        sni = column(row, "sni", "server_name", "host")
        if not name or not sni or sni == "-":
            continue
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        text = " ".join(v.lower() for v in row.values() if v)
        score = ("chrom" in text) * 2 + any(k in text for k in ("mlkem", "kyber", "pq", "post-quantum"))
        candidates.append((score, os.path.getsize(path), path, sni))
    if not candidates:
        sys.exit(1)
    candidates.sort(key=lambda c: (-c[0], -c[1]))
    print(candidates[0][2], candidates[0][3])


if __name__ == "__main__":
    main()
