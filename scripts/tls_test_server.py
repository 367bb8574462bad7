#!/usr/bin/env python3
"""HTTPS server for the package test: answers every GET with 200 and a fixed text line.

    tls_test_server.py --cert server.crt --key server.key --text "trusted" --port-file port
Stop it with SIGTERM (kill <pid>)."""
import argparse
import ssl
import sys

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serving import serve_until_terminated  # beside this script


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--text", default="hello")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args()
    text = (args.text + "\n").encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    serve_until_terminated(server, args.port_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
