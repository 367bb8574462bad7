#!/usr/bin/env python3
"""A fake AWS Lambda Runtime API (2018-06-01) for the package test: stdlib only, HTTP/1.1, loopback.

Serves the events of a JSON file (an array; each item is the event payload, or {"payload": ..., "requestId": ...,
"headers": {...}} to set the request id or extra /next headers) one per GET /runtime/invocation/next, in order.
Records what the runtime sends to a JSON-lines file, one object per request:
    {"kind": "next"|"response"|"error"|"init-error", "requestId": ..., "status": <status we answered>,
     "errorType": <Lambda-Runtime-Function-Error-Type header>, "body": <parsed JSON or text>}
When the events are used up, /next answers 500 ("Container error. Non-recoverable state. Runtime should exit
promptly."), so a correct bootstrap exits and the test can wait for it. Stop the server with SIGTERM (kill <pid>).

    fake_runtime_api.py --events events.json --record calls.jsonl --port-file port   # port 0 = any free port
"""
from __future__ import annotations

import argparse
import json
import re
import sys

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serving import serve_until_terminated  # beside this script

PREFIX = "/2018-06-01/runtime"


class State:
    def __init__(self, events: list, record_path: str, deadline_ms: int, function_arn: str):
        self.events = events
        self.next_index = 0
        self.pending: set[str] = set()     # request ids handed out and not answered yet
        self.answered: set[str] = set()
        self.record_path = record_path
        self.deadline_ms = deadline_ms
        self.function_arn = function_arn
        self.lock = threading.Lock()
        open(record_path, "w").close()

    def record(self, entry: dict) -> None:
        with self.lock, open(self.record_path, "a") as handle:
            handle.write(json.dumps(entry) + "\n")


def make_handler(state: State):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeRuntimeAPI/1"

        def log_message(self, fmt, *args):  # quiet: the record file is the log
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, payload, headers: dict | None = None) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path != f"{PREFIX}/invocation/next":
                return self._send(404, {"errorMessage": f"unknown path {self.path}", "errorType": "NotFound"})
            with state.lock:
                index = state.next_index
                if index >= len(state.events):
                    event = None
                else:
                    state.next_index += 1
                    event = state.events[index]
            if event is None:
                state.record({"kind": "next", "status": 500, "body": "no more events"})
                return self._send(500, {"errorMessage": "no more events: the test is over", "errorType":
                                        "Runtime.NoMoreEvents"})
            if isinstance(event, dict) and "payload" in event:
                payload, request_id, extra = event["payload"], event.get("requestId"), event.get("headers", {})
            else:
                payload, request_id, extra = event, None, {}
            request_id = request_id or f"req-{index + 1:04d}-8476a536-e9f4-11e8-9739-2dfe598c3fcd"
            with state.lock:
                state.pending.add(request_id)
            headers = {
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + state.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": state.function_arn,
                "Lambda-Runtime-Trace-Id": f"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
                **extra,
            }
            state.record({"kind": "next", "status": 200, "requestId": request_id})
            self._send(200, json.dumps(payload).encode(), headers)

        def do_POST(self):
            body = self._body()
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = body.decode(errors="replace")
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            if self.path == f"{PREFIX}/init/error":
                state.record({"kind": "init-error", "status": 202, "errorType": error_type, "body": parsed})
                return self._send(202, {"status": "OK"})
            match = re.fullmatch(rf"{PREFIX}/invocation/([^/]+)/(response|error)", self.path)
            if not match:
                return self._send(404, {"errorMessage": f"unknown path {self.path}", "errorType": "NotFound"})
            request_id, kind = match.group(1), match.group(2)
            with state.lock:
                known = request_id in state.pending
                repeated = request_id in state.answered
                if known:
                    state.pending.discard(request_id)
                    state.answered.add(request_id)
            if repeated:
                status, answer = 403, {"errorMessage": "response already sent", "errorType": "InvalidStateTransition"}
            elif not known:
                status, answer = 400, {"errorMessage": "unknown request id", "errorType": "InvalidRequestID"}
            else:
                status, answer = 202, {"status": "OK"}
            state.record({"kind": kind, "status": status, "requestId": request_id, "errorType": error_type,
                          "body": parsed})
            self._send(status, answer)

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", required=True, help="JSON file: array of events")
    parser.add_argument("--record", required=True, help="JSON-lines file the calls are written to")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--deadline-ms", type=int, default=60000, help="deadline = now + this (ms)")
    parser.add_argument("--function-arn", default="arn:aws:lambda:us-east-1:123456789012:function:rotator")
    args = parser.parse_args()

    with open(args.events) as handle:
        events = json.load(handle)
    if not isinstance(events, list):
        print("fake_runtime_api: --events must hold a JSON array", file=sys.stderr)
        return 2
    state = State(events, args.record, args.deadline_ms, args.function_arn)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(state))
    serve_until_terminated(server, args.port_file)  # records are already on disk when SIGTERM arrives
    return 0


if __name__ == "__main__":
    sys.exit(main())
