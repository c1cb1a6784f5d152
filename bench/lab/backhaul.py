#!/usr/bin/env python3
"""Measurements for bench/lab/backhaul.sh, run inside the lab's namespaces.

  backhaul.py latency --sources 10.0.0.11,10.0.0.12 --count 500 --rounds 5 [--tls --cafile F]
      sequential requests, each on a new connection, alternating the sources round by round;
      prints p50/p90/p99 (ms) per source and the X-Airdress-Pop header each one saw
  backhaul.py sink --address A --port P     accept one TCP connection, count bytes until EOF, print Mbit/s
  backhaul.py source --address A --port P --seconds S   send zeros for S seconds
  backhaul.py bulk --port 8080 --size BYTES   (lab-op) an upstream behind the relay: reads the relay's
      PROXY v2 header (lab/labtool.py) and the request, answers 200 with BYTES of zeros
  backhaul.py download --source S [--source S2]   GET through the VIP from each source, body Mbit/s
"""
import argparse, socket, ssl, sys, time


def one(target, port, host, source, ctx):
    t0 = time.perf_counter()
    s = socket.create_connection((target, port), timeout=5, source_address=(source, 0))
    try:
        if ctx is not None:
            s = ctx.wrap_socket(s, server_hostname=host)
        s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    finally:
        s.close()
    t = time.perf_counter() - t0
    pop = "-"
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"x-airdress-pop:"):
            pop = line.split(b":", 1)[1].strip().decode()
    if not data.startswith(b"HTTP/1.") or b" 200 " not in data.split(b"\r\n", 1)[0]:
        raise OSError("bad answer: %r" % data[:80])
    return t, pop


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def cmd_latency(a):
    ctx = None
    if a.tls:
        ctx = ssl.create_default_context(cafile=a.cafile)
    sources = a.sources.split(",")
    times = {s: [] for s in sources}
    pops = {s: {} for s in sources}
    fails = {s: 0 for s in sources}
    per_round = a.count // a.rounds
    for s in sources:  # warm-up, not counted
        for _ in range(a.warmup):
            one(a.target, a.port, a.host, s, ctx)
    for r in range(a.rounds):
        order = sources if r % 2 == 0 else list(reversed(sources))
        for s in order:
            for _ in range(per_round):
                try:
                    t, pop = one(a.target, a.port, a.host, s, ctx)
                except OSError as e:
                    fails[s] += 1
                    continue
                times[s].append(t * 1000)
                pops[s][pop] = pops[s].get(pop, 0) + 1
    kind = "https (TLS, SNI %s)" % a.host if a.tls else "http (Host %s)" % a.host
    res = {}
    for s in sources:
        xs = times[s]
        res[s] = (pct(xs, 50), pct(xs, 90), pct(xs, 99))
        print("%-5s source %-10s n=%-4d fail=%d  p50 %7.3f ms  p90 %7.3f ms  p99 %7.3f ms  mean %7.3f ms  X-Airdress-Pop %s"
              % (kind.split()[0], s, len(xs), fails[s], res[s][0], res[s][1], res[s][2], sum(xs) / max(1, len(xs)),
                 ",".join("%s x%d" % kv for kv in sorted(pops[s].items()))))
    if len(sources) == 2:
        a0, b0 = res[sources[0]], res[sources[1]]
        print("%-5s %s minus %s:  p50 %+7.3f ms  p90 %+7.3f ms  p99 %+7.3f ms"
              % (kind.split()[0], sources[0], sources[1], a0[0] - b0[0], a0[1] - b0[1], a0[2] - b0[2]))
    sys.stdout.flush()


def cmd_sink(a):
    fam = socket.AF_INET6 if ":" in a.address else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.address, a.port))
    srv.listen(1)
    if a.ready_file:
        open(a.ready_file, "w").close()
    srv.settimeout(a.timeout)
    c, _ = srv.accept()
    c.settimeout(a.timeout)
    n = 0
    t0 = None
    buf = bytearray(1 << 20)
    while True:
        k = c.recv_into(buf)
        if not k:
            break
        if t0 is None:
            t0 = time.perf_counter()
        n += k
    t = time.perf_counter() - t0
    print("%d bytes in %.3f s: %.1f Mbit/s" % (n, t, n * 8 / t / 1e6))


def cmd_source(a):
    fam = socket.AF_INET6 if ":" in a.address else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((a.address, a.port))
    chunk = bytes(1 << 16)
    end = time.perf_counter() + a.seconds
    while time.perf_counter() < end:
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()


def cmd_bulk(a):
    import os, threading
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
    import labtool
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", a.port))
    srv.listen(64)
    chunk = bytes(1 << 16)

    def serve(c):
        try:
            c.settimeout(30)
            proxy = labtool.read_proxy_v2(c)
            req = b""
            while b"\r\n\r\n" not in req:
                b = c.recv(4096)
                if not b:
                    return
                req += b
            pop = proxy.get("pop") or "-"
            if proxy.get("ingress") and proxy["ingress"] != pop:
                pop = "%s>%s" % (proxy["ingress"], pop)
            c.sendall(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Airdress-Pop: %s\r\nConnection: close\r\n\r\n"
                       % (a.size, pop)).encode())
            left = a.size
            while left > 0:
                n = c.send(chunk[:min(left, len(chunk))])
                left -= n
        except (OSError, ValueError) as e:
            sys.stderr.write("bulk: %s\n" % e)
        finally:
            c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def cmd_download(a):
    for src in a.source:
        s = socket.create_connection((a.target, 80), timeout=30, source_address=(src, 0))
        t0 = time.perf_counter()
        s.sendall(("GET /bulk HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % a.host).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            b = s.recv(65536)
            if not b:
                raise OSError("EOF before the headers")
            head += b
        t1 = time.perf_counter()
        h, body = head.split(b"\r\n\r\n", 1)
        n = len(body)
        buf = bytearray(1 << 20)
        while True:
            k = s.recv_into(buf)
            if not k:
                break
            n += k
        t2 = time.perf_counter()
        s.close()
        pop = [l.split(b":", 1)[1].strip().decode() for l in h.split(b"\r\n") if l.lower().startswith(b"x-airdress-pop:")]
        print("download source %-10s %s: %d bytes, headers after %.1f ms, body %.3f s: %.1f Mbit/s"
              % (src, pop[0] if pop else "-", n, (t1 - t0) * 1000, t2 - t1, n * 8 / (t2 - t1) / 1e6))
        sys.stdout.flush()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    l = sub.add_parser("latency")
    l.add_argument("--target", default="192.0.2.1")
    l.add_argument("--port", type=int)
    l.add_argument("--host", default="demo.example.test")
    l.add_argument("--sources", default="10.0.0.11,10.0.0.12")
    l.add_argument("--count", type=int, default=500)
    l.add_argument("--rounds", type=int, default=5)
    l.add_argument("--warmup", type=int, default=20)
    l.add_argument("--tls", action="store_true")
    l.add_argument("--cafile")
    k = sub.add_parser("sink")
    k.add_argument("--address", required=True)
    k.add_argument("--port", type=int, default=5201)
    k.add_argument("--timeout", type=float, default=30)
    k.add_argument("--ready-file")
    o = sub.add_parser("source")
    o.add_argument("--address", required=True)
    o.add_argument("--port", type=int, default=5201)
    o.add_argument("--seconds", type=float, default=5)
    b = sub.add_parser("bulk")
    b.add_argument("--port", type=int, default=8080)
    b.add_argument("--size", type=int, default=100 << 20)
    d = sub.add_parser("download")
    d.add_argument("--target", default="192.0.2.1")
    d.add_argument("--host", default="demo.example.test")
    d.add_argument("--source", action="append", required=True)
    a = p.parse_args()
    if a.cmd == "latency" and a.port is None:
        a.port = 443 if a.tls else 80
    {"latency": cmd_latency, "sink": cmd_sink, "source": cmd_source, "bulk": cmd_bulk,
     "download": cmd_download}[a.cmd](a)


if __name__ == "__main__":
    main()
