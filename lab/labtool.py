#!/usr/bin/env python3
"""Helpers of lab/run.sh (Python 3 standard library only).

  demo    the operator's demo service: HTTP and HTTPS behind the relay, PROXY v2 required (IPv4
          or IPv6 addresses in it); answers with the PoP that relayed the connection (TLV 0xE0),
          "INGRESS>DELIVERING" (TLVs 0xE1, 0xE0) for one handed over the backhaul
          and the real client; --address :: listens dual-stack
  loop    a client loop: a new TCP connection + one HTTP request every --interval (with --tls:
          over TLS, SNI --host, certificate checked against --cafile), one line per attempt
          ("<epoch> ok <pop> <ms>" or "<epoch> fail <reason> <ms>"); with --in-flight N > 1 a
          request starts every --interval whether or not the earlier ones have answered (up to N
          at once), so one that hangs does not delay the next; lines are then written as
          attempts end, not in the order they started
  probe   one request (HTTP or TLS, as loop) from --source; prints the PoP that answered
  route   waits until `ip -ts monitor route` logged the VIP via a next hop after --since
  first   waits until the loop logged an answer from --pop to an attempt started after --since;
          prints when the earliest such answer arrived, in seconds since --since
  count   counts the loop's outcomes between --since and --until
  wgdata  WireGuard transport messages (type 4, a counter and 16 bytes of noise: nothing a PoP can
          authenticate) to --target:--port, --count of them at --rate a second, each to a random
          receiver index or to --index (a hostile host probing for re-attachment)
  routed  new connections to a relay until one for --host is answered by the operator; prints the
          seconds since --since (the directory's propagation, measured by the lab's --check)

Times are wall-clock epoch seconds (bash's $EPOCHREALTIME, Python's time.time()).
"""
import argparse
import datetime
import http.server
import os
import socket
import ssl
import struct
import sys
import threading
import time

PP2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
PP2_TYPE_AUTHORITY = 0x02
TLV_POP = 0xE0  # relay/src/main/java/co/airdress/relay/proxy/ProxyHeader.java: TLV_POP
TLV_INGRESS_POP = 0xE1  # the PoP the client reached, when it handed the connection over the backhaul
MAX_PP2 = 16 + 4096  # our relay's headers are small; bound what a peer can make us read


def read_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("EOF inside the PROXY header")
        data += chunk
    return bytes(data)


def read_proxy_v2(sock):
    """Reads exactly one PROXY v2 header (nothing more) and returns a dict, or raises ValueError."""
    head = read_exactly(sock, 16)
    if head[:12] != PP2_SIGNATURE:
        raise ValueError("no PROXY v2 signature (expected: the relay's PROXY v2 header first)")
    ver_cmd, fam, length = head[12], head[13], struct.unpack("!H", head[14:16])[0]
    if ver_cmd >> 4 != 2 or 16 + length > MAX_PP2:
        raise ValueError("PROXY header version %d, length %d (expected: v2, <= %d)" % (ver_cmd >> 4, length, MAX_PP2))
    body = read_exactly(sock, length)
    info = {"command": "PROXY" if ver_cmd & 0xF == 1 else "LOCAL", "client": None, "pop": None, "ingress": None,
            "authority": None}
    if fam >> 4 == 1 and length >= 12:  # AF_INET
        src, dst, sport, dport = struct.unpack("!4s4sHH", body[:12])
        info["client"] = "%s:%d" % (socket.inet_ntop(socket.AF_INET, src), sport)
        tlvs = body[12:]
    elif fam >> 4 == 2 and length >= 36:  # AF_INET6
        src, dst, sport, dport = struct.unpack("!16s16sHH", body[:36])
        info["client"] = "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, src), sport)
        tlvs = body[36:]
    else:
        tlvs = b""
    i = 0
    while i + 3 <= len(tlvs):
        t, n = tlvs[i], struct.unpack("!H", tlvs[i + 1:i + 3])[0]
        value = tlvs[i + 3:i + 3 + n]
        if t == TLV_POP:
            info["pop"] = value.decode("ascii", "replace")
        elif t == TLV_INGRESS_POP:
            info["ingress"] = value.decode("ascii", "replace")
        elif t == PP2_TYPE_AUTHORITY:
            info["authority"] = value.decode("ascii", "replace")
        i += 3 + n
    return info


class DemoHandler(http.server.BaseHTTPRequestHandler):
    server_version = "airdress-lab-demo"

    def __init__(self, request, client_address, server, proxy, tls):
        self.proxy = proxy
        self.tls = tls
        super().__init__(request, client_address, server)

    def do_GET(self):
        pop = self.proxy.get("pop") or "-"
        ingress = self.proxy.get("ingress")
        how = "PROXY v2 TLV 0xE%d" % (TLV_POP & 0xF)
        if ingress and ingress != pop:
            # over the backhaul: "<ingress>><delivering>", e.g. pop1>pop2
            pop = "%s>%s" % (ingress, pop)
            how = "PROXY v2 TLVs 0xE1>0xE0: client's PoP>delivering PoP"
        client = self.proxy.get("client") or "-"
        body = ("demo.example.test answered over %s: relayed by PoP %s (%s), client %s, "
                "authority %s, relay side %s:%d\n" % ("HTTPS" if self.tls else "HTTP", pop, how, client,
                                                     self.proxy.get("authority"), self.client_address[0],
                                                     self.client_address[1])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Airdress-Pop", pop)
        self.send_header("X-Airdress-Client", client)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # the relay's access log records every connection already


class DemoServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, addr, tls_context):
        self.tls_context = tls_context
        # "::" is one dual-stack socket: IPv6, and IPv4 as ::ffff:a.b.c.d
        self.address_family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        super().__init__(addr, None)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def finish_request(self, request, client_address):
        # On the connection's own thread: PROXY header first (bounded by a timeout), then TLS if any.
        request.settimeout(5)
        try:
            proxy = read_proxy_v2(request)
        except (ValueError, OSError) as e:
            sys.stderr.write("demo: %s: %s\n" % (client_address, e))
            return
        if self.tls_context is not None:
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                sys.stderr.write("demo: TLS from %s: %s\n" % (client_address, e))
                return
        DemoHandler(request, client_address, self, proxy, self.tls_context is not None)


def cmd_demo(a):
    import threading
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    servers = [DemoServer((a.address, a.http_port), None), DemoServer((a.address, a.https_port), ctx)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("demo listening on %s:%d (HTTP) and %s:%d (HTTPS), PROXY v2 required"
          % (a.address, a.http_port, a.address, a.https_port), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


class Attempt:
    """One attempt's progress: when the TCP handshake completed (None before), the request's own
    address as the PROXY header writes it, and the client address the operator's side was given."""
    connected_at = None
    local = None
    client = None


def one_request(a, attempt):
    source = (a.source, 0) if getattr(a, "source", None) else None
    with socket.create_connection((a.target, a.port), timeout=a.timeout, source_address=source) as raw:
        attempt.connected_at = time.time()
        host, port = raw.getsockname()[:2]
        attempt.local = ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
        s = raw
        if a.tls:
            ctx = ssl.create_default_context(cafile=a.cafile)
            s = ctx.wrap_socket(raw, server_hostname=a.host)
        s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % a.host).encode())
        data = bytearray()
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
            if len(data) > 65536:
                raise ValueError("answer too long")
    if not data:
        raise EOFError("closed without an answer")
    text = data.decode("latin-1")
    if not text.startswith("HTTP/1.0 200") and not text.startswith("HTTP/1.1 200"):
        raise ValueError("status %r" % text.split("\r\n", 1)[0])
    pop = None
    for line in text.split("\r\n"):
        if line.lower().startswith("x-airdress-pop:"):
            pop = line.split(":", 1)[1].strip()
        elif line.lower().startswith("x-airdress-client:"):
            attempt.client = line.split(":", 1)[1].strip()
    if pop is None:
        raise ValueError("no X-Airdress-Pop header")
    return pop


def cmd_loop(a):
    deadline = time.monotonic() + a.max_seconds
    out = open(a.out, "a", buffering=1)
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(a.in_flight)

    def attempt_once(started):
        attempt = Attempt()
        try:
            pop = one_request(a, attempt)
            line = "%.6f ok %s %.1f\n" % (started, pop, (time.time() - started) * 1000)
        except Exception as e:  # every failure is an outcome to count
            # connected_at 0: the TCP handshake itself failed (a failed new connection)
            line = "%.6f fail %s %.1f %.6f\n" % (started, type(e).__name__, (time.time() - started) * 1000,
                                                 attempt.connected_at or 0)
        with lock:
            out.write(line)

    def in_thread(started):
        try:
            attempt_once(started)
        finally:
            slots.release()

    threads = []
    n = 0
    while time.monotonic() < deadline and n < a.max_count and not os.path.exists(a.stop_file):
        started = time.time()
        if a.in_flight == 1:
            attempt_once(started)
        else:
            slots.acquire()
            started = time.time()
            t = threading.Thread(target=in_thread, args=(started,), daemon=True)
            t.start()
            threads.append(t)
        n += 1
        time.sleep(max(0.0, a.interval - (time.time() - started)))
    for t in threads:
        t.join()
    out.close()


def cmd_wgdata(a):
    family = socket.AF_INET6 if ":" in a.target else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        start = time.monotonic()
        for n in range(a.count):
            index = a.index if a.index is not None else struct.unpack("<I", os.urandom(4))[0]
            s.sendto(struct.pack("<IIQ", 4, index, n) + os.urandom(16), (a.target, a.port))
            time.sleep(max(0.0, start + (n + 1) / a.rate - time.monotonic()))
    print("%d datagrams in %.2f s" % (a.count, time.monotonic() - start))


def cmd_routed(a):
    deadline = time.monotonic() + a.within
    first = True
    while True:
        try:
            one_request(a, Attempt())
            since = a.since if a.since_file is None else float(open(a.since_file).read())
            print("%.3f" % (time.time() - since))
            return
        except Exception:  # not routed yet (404), or the relay not answering: try again
            if first and a.ready_file:
                open(a.ready_file, "w").close()  # the change may be made now
            first = False
            if time.monotonic() >= deadline:
                print("timeout")
                sys.exit(1)


def cmd_probe(a):
    try:
        attempt = Attempt()
        pop = one_request(a, attempt)
        if not a.with_client:
            print(pop)
        elif attempt.client == attempt.local:
            print("%s, client address as sent (%s)" % (pop, attempt.client))
        else:
            print("%s, client address %s (sent from %s)" % (pop, attempt.client, attempt.local))
    except Exception as e:  # the caller names the gate; say why
        print("probe failed: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)


def parse_ts(line):
    # `ip -ts monitor`: "[2026-11-22T03:30:01.123456] 192.0.2.1 via ..." in local time
    if not line.startswith("["):
        return None
    stamp = line[1:line.index("]")]
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def wait_for(timeout, find):
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def cmd_route(a):
    def find():
        with open(a.log) as f:
            for line in f:
                ts = parse_ts(line)
                rest = line.split("] ", 1)[-1]
                if ts is not None and ts >= a.since and rest.startswith(a.prefix + " ") and " via %s " % a.via in rest \
                        and not rest.startswith("Deleted"):
                    return ts
        return None
    ts = wait_for(a.timeout, find)
    if ts is None:
        print("timeout")
        sys.exit(1)
    print("%.3f" % (ts - a.since))


def loop_lines(path):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4:
                yield float(parts[0]), parts[1], parts[2], float(parts[3]), float(parts[4]) if len(parts) > 4 else 0.0


def cmd_first(a):
    def find():
        answers = [t + ms / 1000 for t, outcome, what, ms, _ in loop_lines(a.log)
                   if t >= a.since and outcome == "ok" and what == a.pop]
        return min(answers) if answers else None
    t = wait_for(a.timeout, find)
    if t is None:
        print("timeout")
        sys.exit(1)
    print("%.3f" % (t - a.since))


# How an established connection ends when its relay or its route goes away: a reset, or (a relay
# killed after it had read the request, with nothing unread) a FIN before any answer.
IN_FLIGHT_ERRORS = ("ConnectionResetError", "BrokenPipeError", "EOFError")
MONITOR_LAG = 0.1  # `ip monitor` stamps the FIB change when it reads it: a little after the change


def established_failure(a, what, t, ms, connected_at):
    """"moved" or "lost" for a failure of a connection that was already established, else None."""
    if what not in IN_FLIGHT_ERRORS or connected_at <= 0:
        return None
    if a.moved is not None and connected_at < a.moved and t + ms / 1000 >= a.moved - MONITOR_LAG:
        return "moved"
    if a.lost is not None and connected_at < a.lost:
        return "lost"
    return None


def cmd_count(a):
    """Counts outcomes. With --moved, a reset of a connection that was established with the old
    PoP before the route moved, and failed after it, is counted apart as "moved": an established
    connection broken by the route move (docs/operating-a-pop.md). With --lost, a reset of a
    connection established before that time (the relay's death) is counted apart as "lost": it died
    with the process that held it. Neither is a failed new connection."""
    counts = {}
    failures = []
    for t, outcome, what, ms, connected_at in loop_lines(a.log):
        if not a.since <= t <= a.until:
            continue
        key = outcome + ":" + what
        if outcome == "fail":
            kind = established_failure(a, what, t, ms, connected_at)
            if kind is not None:
                key = kind + ":" + what
        counts[key] = counts.get(key, 0) + 1
        if outcome == "fail":
            failures.append("+%.3f s %s (%s, %.1f ms)" % (t - a.since, what, key.split(":")[0], ms))
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())) or "none")
    for f in failures[:20]:
        print("  attempt started at %s" % f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo")
    d.add_argument("--address", required=True)
    d.add_argument("--http-port", type=int, default=80)
    d.add_argument("--https-port", type=int, default=443)
    d.add_argument("--cert", required=True)
    d.add_argument("--key", required=True)
    lp = sub.add_parser("loop")
    lp.add_argument("--target", default="192.0.2.1")
    lp.add_argument("--port", type=int, default=80)
    lp.add_argument("--host", default="demo.example.test")
    lp.add_argument("--interval", type=float, default=0.02)
    lp.add_argument("--timeout", type=float, default=1.0)
    lp.add_argument("--max-seconds", type=float, default=60)
    lp.add_argument("--max-count", type=int, default=3000)
    lp.add_argument("--in-flight", type=int, default=1, help="open loop: requests at once (1: one after another)")
    lp.add_argument("--stop-file", required=True)
    lp.add_argument("--out", required=True)
    wd = sub.add_parser("wgdata")
    wd.add_argument("--target", required=True)
    wd.add_argument("--port", type=int, default=51820)
    wd.add_argument("--count", type=int, default=2000)
    wd.add_argument("--rate", type=float, default=1000)
    wd.add_argument("--index", type=int, help="the receiver index (default: a random one per datagram)")
    pr = sub.add_parser("probe")
    pr.add_argument("--source", help="the client address to send from")
    pr.add_argument("--timeout", type=float, default=2.0)
    pr.add_argument("--with-client", action="store_true",
                    help="also whether the operator's side got the request's own address (the demo's X-Airdress-Client)")
    for q in (lp, pr):
        q.add_argument("--tls", action="store_true", help="TLS with SNI --host (the port then defaults to 443)")
        q.add_argument("--cafile", help="with --tls: the CA (the demo's own certificate) to check against")
    pr.add_argument("--target", default="192.0.2.1")
    pr.add_argument("--port", type=int)
    pr.add_argument("--host", default="demo.example.test")
    r = sub.add_parser("route")
    r.add_argument("--log", required=True)
    r.add_argument("--prefix", default="192.0.2.1", help="the route's destination as ip monitor prints it")
    r.add_argument("--via", required=True)
    r.add_argument("--since", type=float, required=True)
    r.add_argument("--timeout", type=float, default=10)
    f = sub.add_parser("first")
    f.add_argument("--log", required=True)
    f.add_argument("--pop", required=True)
    f.add_argument("--since", type=float, required=True)
    f.add_argument("--timeout", type=float, default=10)
    c = sub.add_parser("count")
    c.add_argument("--log", required=True)
    c.add_argument("--since", type=float, required=True)
    c.add_argument("--until", type=float, required=True)
    c.add_argument("--moved", type=float, help="epoch of the route move, as logged by ip monitor")
    c.add_argument("--lost", type=float, help="epoch at which the relay that held the connections was dead")
    rt = sub.add_parser("routed")
    rt.add_argument("--target", default="127.0.0.1")
    rt.add_argument("--port", type=int, default=80)
    rt.add_argument("--host", required=True)
    rt.add_argument("--since", type=float, help="epoch of the change")
    rt.add_argument("--since-file", help="a file holding the epoch of the change, read once routed")
    rt.add_argument("--ready-file", help="created once the host was seen unrouted: make the change then")
    rt.add_argument("--timeout", type=float, default=1.0, help="per connection")
    rt.add_argument("--within", type=float, default=10)
    rt.set_defaults(tls=False, cafile=None)
    a = p.parse_args()
    if a.cmd == "probe" and a.port is None:
        a.port = 443 if a.tls else 80
    {"demo": cmd_demo, "loop": cmd_loop, "probe": cmd_probe, "route": cmd_route, "first": cmd_first, "count": cmd_count,
     "routed": cmd_routed, "wgdata": cmd_wgdata}[a.cmd](a)


if __name__ == "__main__":
    main()
