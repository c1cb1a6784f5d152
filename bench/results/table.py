#!/usr/bin/env python3
"""Turns a JMH JSON result (-rf json, run with -prof gc) into the Markdown tables of bench/README.md.

Each time cell is "median (min)" of the measurement iterations in ns/op: on a shared, overloaded
machine the mean is dragged by other processes, the median and the minimum much less.
"mean ± error" (JMH's 99.9% interval) is in the raw .txt next to the JSON.
Usage: table.py RESULT.json [buffer]   (buffer: the @Param value to tabulate, default direct)
"""
import json
import statistics
import sys

P = "co.airdress.relay.bench."
data = json.load(open(sys.argv[1]))
buffer = sys.argv[2] if len(sys.argv) > 2 else "direct"
rows = {}
for r in data:
    params = r.get("params", {})
    if params.get("buffer", buffer) != buffer:
        continue
    raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
    norm = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    rows[(r["benchmark"][len(P):], params["fixture"])] = (statistics.median(raw), min(raw), norm)


def t(bench, f):
    r = rows.get((bench, f))
    return "n/a" if r is None else f"{r[0]:,.0f} ({r[1]:,.0f})"


def b(bench, f):
    r = rows.get((bench, f))
    return "n/a" if r is None or r[2] is None else f"{r[2]:,.0f}"


def ratio(num, den, f):
    a, c = rows.get((num, f)), rows.get((den, f))
    return "n/a" if a is None or c is None else f"{a[0] / c[0]:.2f}"


def fixtures(prefix):
    return sorted({f for (bench, f) in rows if bench.startswith(prefix)})


hellos = fixtures("ClientHello") or fixtures("NettySni")
print("ClientHello, whole buffer. ns/op as median (min) of the iterations; B/op = gc.alloc.rate.norm;"
      " ratio = Netty median / ours median (> 1: ours faster).\n")
print("| fixture | ours `whole` | B/op | ours `wholeAndHost` | B/op | Netty `extractWhole` | B/op | Netty `handlerWhole` | B/op | extract / ours `wholeAndHost` | handler / ours `whole` |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for f in hellos:
    print(f"| {f} | {t('ClientHelloPeekBench.whole', f)} | {b('ClientHelloPeekBench.whole', f)} "
          f"| {t('ClientHelloPeekBench.wholeAndHost', f)} | {b('ClientHelloPeekBench.wholeAndHost', f)} "
          f"| {t('NettySniBench.extractWhole', f)} | {b('NettySniBench.extractWhole', f)} "
          f"| {t('NettySniBench.handlerWhole', f)} | {b('NettySniBench.handlerWhole', f)} "
          f"| {ratio('NettySniBench.extractWhole', 'ClientHelloPeekBench.wholeAndHost', f)} "
          f"| {ratio('NettySniBench.handlerWhole', 'ClientHelloPeekBench.whole', f)} |")
print("\nClientHello, one byte per read.\n")
print("| fixture | ours `oneByte` | B/op | Netty `handlerOneByte` | B/op | pipeline alone `baselinePipelineOneByte` | B/op | handler / ours |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for f in hellos:
    print(f"| {f} | {t('ClientHelloPeekBench.oneByte', f)} | {b('ClientHelloPeekBench.oneByte', f)} "
          f"| {t('NettySniBench.handlerOneByte', f)} | {b('NettySniBench.handlerOneByte', f)} "
          f"| {t('NettySniBench.baselinePipelineOneByte', f)} | {b('NettySniBench.baselinePipelineOneByte', f)} "
          f"| {ratio('NettySniBench.handlerOneByte', 'ClientHelloPeekBench.oneByte', f)} |")
heads = fixtures("HttpHead")
if heads:
    print("\nHTTP Host peek.\n")
    print("| fixture | `whole` | B/op | `oneByte` | B/op |")
    print("|---|---:|---:|---:|---:|")
    for f in heads:
        print(f"| {f} | {t('HttpHeadPeekBench.whole', f)} | {b('HttpHeadPeekBench.whole', f)} "
              f"| {t('HttpHeadPeekBench.oneByte', f)} | {b('HttpHeadPeekBench.oneByte', f)} |")
