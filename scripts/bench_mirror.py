#!/usr/bin/env python3
"""A loopback mirror for scripts/bench.sh (benchmarks only; the tests have their own).

Serves a directory over HTTP/1.1 (keep-alive) on 127.0.0.1, optionally over TLS, with:
  --delay-ms N      every request waits N ms before its answer (a distant mirror)
  --rate BYTES      each response body is sent at most this many bytes per second
  --tls-cert/--tls-key   serve HTTPS with this certificate
  --hole            accept connections and never answer (a dead mirror)
  --counts-file F   on SIGUSR1, write {"connections", "handshakes", "requests"} to F
  --port-file F     bind a free port and write it to F once listening

GET and HEAD, with one `Range: bytes=` range (206 and Content-Range; 416 when it cannot be
satisfied). Connections are counted as accepted, handshakes as completed, requests as
parsed. Only python3's standard library is needed.
"""

import argparse
import functools
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024


class Mirror(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, args):
        self.args = args
        self.lock = threading.Lock()
        self.counts = {"connections": 0, "handshakes": 0, "requests": 0}
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)
        self.held = []
        super().__init__(addr, handler)

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def write_counts(self):
        with self.lock:
            data = json.dumps(self.counts)
        tmp = self.args.counts_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(data + "\n")
        os.replace(tmp, self.args.counts_file)

    def get_request(self):
        sock, addr = self.socket.accept()
        self.count("connections")
        if self.tls:
            # The handshake happens on the connection's own thread, not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def finish_request(self, request, client_address):
        if self.args.hole:
            # Accept and hold: the client waits for an answer that never comes.
            with self.lock:
                self.held.append(request)
            return
        request.settimeout(60)
        if self.tls:
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return
            self.count("handshakes")
        super().finish_request(request, client_address)

    def shutdown_request(self, request):
        if self.args.hole:
            return
        super().shutdown_request(request)


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_HEAD(self):
        self.answer(body=False)

    def do_GET(self):
        self.answer(body=True)

    def answer(self, body):
        srv = self.server
        srv.count("requests")
        if srv.args.delay_ms:
            time.sleep(srv.args.delay_ms / 1000)
        path = self.translate_path(self.path)
        try:
            f = open(path, "rb")
        except OSError:
            self.send_error(404)
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            start, end = 0, size - 1
            status = 200
            rng = self.headers.get("Range")
            if rng:
                parsed = parse_range(rng, size)
                if parsed is None:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start, end = parsed
                status = 206
            length = max(0, end - start + 1)
            self.send_response(status)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if body and length:
                self.send_body(f, start, length)

    def send_body(self, f, start, length):
        rate = self.server.args.rate
        try:
            if not rate and not self.server.tls:
                self.connection.sendfile(f, start, length)
                return
            f.seek(start)
            began = time.monotonic()
            sent = 0
            while sent < length:
                chunk = f.read(min(CHUNK, length - sent))
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
                if rate:
                    ahead = sent / rate - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, ssl.SSLError):
            self.close_connection = True


def parse_range(value, size):
    """One `bytes=a-b`, `bytes=a-` or `bytes=-n` range, clamped; None if unsatisfiable."""
    unit, _, spec = value.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            n = int(last)
            if n == 0:
                return None
            return max(0, size - n), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default=".")
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--rate", type=int, default=0, help="bytes per second per response")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--hole", action="store_true")
    p.add_argument("--counts-file")
    p.add_argument("--port-file", required=True)
    args = p.parse_args()
    handler = functools.partial(Handler, directory=os.path.abspath(args.dir))
    srv = Mirror(("127.0.0.1", 0), handler, args)
    if args.counts_file:
        signal.signal(signal.SIGUSR1, lambda *_: srv.write_counts())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
