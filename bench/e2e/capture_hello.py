#!/usr/bin/env python3
"""Captures the ClientHello that `openssl s_client -servername SNI` sends, into FILE.

Used by e2e.sh when the repository's captured fixtures are not on the branch. Listens on an
ephemeral loopback port, reads TLS records until the handshake message announced by the first
one is complete, and writes exactly those records.
"""
import socket
import subprocess
import sys


def hello_end(buf: bytes) -> int:
    """Offset just past the records holding the whole ClientHello, or 0 if more is needed."""
    if len(buf) < 9:
        return 0
    need = int.from_bytes(buf[6:9], "big") + 4  # handshake header + body
    got = off = 0
    while off + 5 <= len(buf):
        length = int.from_bytes(buf[off + 3:off + 5], "big")
        if off + 5 + length > len(buf):
            return 0
        got += length
        off += 5 + length
        if got >= need:
            return off
    return 0


def main() -> None:
    out, sni = sys.argv[1], sys.argv[2]
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        client = subprocess.Popen(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", sni],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            server.settimeout(10)
            conn, _ = server.accept()
            conn.settimeout(10)
            buf = b""
            while not hello_end(buf):
                chunk = conn.recv(65536)
                if not chunk:
                    sys.exit("capture_hello: openssl closed before a whole ClientHello")
                buf += chunk
            with open(out, "wb") as f:
                f.write(buf[:hello_end(buf)])
            conn.close()
        finally:
            client.kill()
            client.wait()


if __name__ == "__main__":
    main()
