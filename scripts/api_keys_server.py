#!/usr/bin/env python3
"""Loopback HTTPS test API that issues, lists, tests and revokes API keys, for the Swift tests.

It speaks two real shapes, so key-rotation clients can be tested without a network or real accounts:
  * SendGrid API keys (https://www.twilio.com/docs/sendgrid/api-reference/api-keys), under /v3/
  * Cloudflare user API tokens (https://developers.cloudflare.com/api/resources/user/subresources/tokens/),
    under /client/v4/

    api_keys_server.py --cert server.crt --key server.key [--host 127.0.0.1] [--port 0] [--port-file F]
                       [--watch-parent]
    api_keys_server.py --plain ...   (plain HTTP on loopback, for a test proxy that must read the requests)
Stop it with SIGTERM (kill <pid>). With --watch-parent it also exits when the process that started it dies.

All state is in memory. Nothing about a request (headers, bodies, key values) is logged anywhere.

SendGrid routes (Authorization: Bearer <key value>; every response carries X-RateLimit-* headers):
    POST   /v3/api_keys            scope api_keys.create; {"name", "scopes"} -> 201; honours Idempotency-Key
    GET    /v3/api_keys?limit=N    scope api_keys.read; active keys, oldest first
    DELETE /v3/api_keys/{id}       scope api_keys.delete; 204, or 404 when unknown or already revoked
    GET    /v3/scopes              the authenticating key's scopes
Cloudflare routes (Authorization: Bearer <token value>; {"success","errors","messages","result"} envelope):
    POST   /client/v4/user/tokens                   needs can_mint; {"name","policies","expires_on"?}
    GET    /client/v4/user/tokens?page=&per_page=   needs can_mint; active tokens, never their values
    GET    /client/v4/user/tokens/verify            any usable token
    DELETE /client/v4/user/tokens/{id}              needs can_mint

Admin routes (plain JSON, no auth: this server only ever listens on loopback for tests):
    POST   /_admin/keys    {"family": "sendgrid", "name", "scopes": [...]} or
                           {"family": "cloudflare", "name", "can_mint": true}; optional "expires_on" (RFC 3339)
                           -> 201 {"id", "value"}. Seeds the first key; bypasses the SendGrid 100-key limit.
    GET    /_admin/keys    -> {"keys": [{"id","family","name","value","status","expires_on","usable",...}]}
    POST   /_admin/faults  {"status": 503, "count": 2, "method": "POST", "path_prefix": "/v3/api_keys",
                            "after": false, "retry_after": 1, "message": null, "raw_body": null,
                            "reset_only": false}
                           The next `count` matching non-admin requests get `status` with the family's error
                           body. "after": true processes the request first (a lost response). 429s carry the
                           family's rate-limit headers with a delay of retry_after seconds (reset_only:
                           X-RateLimit-Reset without Retry-After). "message" is the error body's text;
                           "raw_body" replaces the body with these bytes, not JSON.
    POST   /_admin/kill    {"pid": 1234, "nth": 3, "when": "before"|"after"}
                           SIGKILLs pid on the nth non-admin request from now, then closes that connection
                           without a response; "after" processes the request first. One plan at a time (a new
                           plan replaces the old one).
    GET    /_admin/log     -> {"requests": [{"method","path","status"}]} of non-admin requests (status 0: the
                           connection was closed without a response)
    DELETE /_admin/log     clears the log, pending faults and the kill plan
    POST   /_admin/reset   clears everything (keys, log, faults, kill plan, idempotency cache)
"""
import argparse
import datetime
import json
import os
import re
import secrets
import signal
import ssl
import sys
import threading
import time
import urllib.parse

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serving import serve_until_terminated, watch_parent  # beside this script

MAX_BODY_BYTES = 1024 * 1024
SENDGRID_KEY_LIMIT = 100          # active keys per account
SENDGRID_RATE_LIMIT = 600         # advertised in X-RateLimit-Limit; only faults ever produce a 429
SENDGRID_NAME_MAX = 100
CLOUDFLARE_NAME_MAX = 120
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
NO_BODY_STATUSES = (204, 304)


class Request:
    def __init__(self, method, path, query, headers, body, body_error):
        self.method = method
        self.path = path              # without the query string
        self.query = query            # name -> last value
        self.headers = headers
        self.body = body              # bytes, empty when absent or unread
        self.body_error = body_error  # (status, message) when the body could not be read, else None


class Reply:
    def __init__(self, status, document=None, headers=None, raw=None):
        self.status = status
        self.document = document      # a JSON value, or None for an empty body
        self.headers = dict(headers or {})
        self.raw = raw                # a body sent as is (not JSON), for faults


# ---------------------------------------------------------------- time and values

def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(RFC3339)


def parse_rfc3339(text):
    """Epoch seconds of a UTC 'YYYY-MM-DDTHH:MM:SSZ' (fractional seconds allowed), or None if malformed."""
    if not isinstance(text, str):
        return None
    for layout in (RFC3339, "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            parsed = datetime.datetime.strptime(text, layout)
        except ValueError:
            continue
        return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()
    return None


def is_usable(key, now=None):
    if key["status"] != "active":
        return False
    return key["expires_on"] is None or parse_rfc3339(key["expires_on"]) > (now or time.time())


def valid_name(name, limit):
    return isinstance(name, str) and 1 <= len(name) <= limit


def is_string_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def positive_int(text, default):
    """The query parameter as an int >= 1, the default when absent, None when malformed."""
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        return None
    return value if value >= 1 else None


# ---------------------------------------------------------------- error shapes

def sendgrid_error(status, message, field=None):
    return Reply(status, {"errors": [{"field": field, "message": message}]})


def cloudflare_envelope(result, success=True, errors=(), **extra):
    document = {"success": success, "errors": list(errors), "messages": [], "result": result}
    document.update(extra)
    return document


def cloudflare_error(status, message, code=None):
    # Where Cloudflare documents no code for a situation (413, 422, injected faults), the HTTP status is used.
    return Reply(status, cloudflare_envelope(None, False, [{"code": code or status, "message": message}]))


def family_of(path):
    if path.startswith("/v3/"):
        return "sendgrid"
    if path.startswith("/client/v4/"):
        return "cloudflare"
    return None


def family_error(family, status, message, cloudflare_code=None):
    if family == "sendgrid":
        return sendgrid_error(status, message)
    if family == "cloudflare":
        return cloudflare_error(status, message, cloudflare_code)
    return Reply(status, {"error": message})


def rate_limited(family, retry_after, reset_only=False):
    """A 429 as each family sends it; reset_only leaves out Retry-After (the reset time alone says when)."""
    if family == "sendgrid":
        reply = sendgrid_error(429, "too many requests")
        reply.headers.update({
            "X-RateLimit-Limit": str(SENDGRID_RATE_LIMIT), "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + retry_after)})
        if not reset_only:
            reply.headers["Retry-After"] = str(retry_after)
        return reply
    if family == "cloudflare":
        reply = cloudflare_error(429, "Please wait and consider throttling your request speed", 971)
        reply.headers["retry-after"] = str(retry_after)
        return reply
    return Reply(429, {"error": "too many requests"}, {"Retry-After": str(retry_after)})


def fault_reply(family, fault):
    if fault.get("raw_body") is not None:
        return Reply(fault["status"], raw=fault["raw_body"])
    if fault["status"] == 429:
        return rate_limited(family, fault["retry_after"], fault.get("reset_only", False))
    return family_error(family, fault["status"], fault.get("message") or "injected fault")


def json_object(request, family):
    """(document, None) for a JSON object body (an empty body counts as {}), else (None, 400 reply)."""
    if not request.body.strip():
        return {}, None
    try:
        document = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None, family_error(family, 400, "malformed JSON in request body", 6007)
    if not isinstance(document, dict):
        return None, family_error(family, 400, "request body must be a JSON object", 6007)
    return document, None


# ---------------------------------------------------------------- state

class Store:
    """Everything the server remembers. Every method expects the caller to hold self.lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.keys = {}            # id -> key record; insertion order is creation order
        self.clear_log()
        self.idempotency = {}     # (Idempotency-Key, family) -> (request fingerprint, status, document)
        self.rate_window = (0, 0)  # (window start, SendGrid requests seen in it)

    def clear_log(self):
        self.log = []
        self.faults = []          # pending fault plans, first match wins
        self.kill_plan = None

    def add_key(self, family, name, scopes=(), can_mint=False, expires_on=None, policies=None):
        if family == "sendgrid":
            # Like real keys, the id is the middle part of the value: SG.<id>.<secret>.
            key_id = secrets.token_urlsafe(16)               # 22 characters
            value = f"SG.{key_id}.{secrets.token_urlsafe(32)}"  # 43 characters of secret
        else:
            key_id = secrets.token_hex(16)                   # 32 hex characters
            value = secrets.token_urlsafe(30)                # 40 characters
        key = {"id": key_id, "family": family, "name": name, "value": value,
               "scopes": list(dict.fromkeys(scopes)), "can_mint": bool(can_mint), "status": "active",
               "created": time.time(), "expires_on": expires_on, "policies": policies or []}
        self.keys[key_id] = key
        return key

    def bearer(self, request, family):
        """The usable key of this family named by the Authorization header, or None."""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        value = value.strip().encode()
        for key in self.keys.values():
            # Constant-time comparison, so response timing says nothing about how much of a value matched.
            if key["family"] == family and secrets.compare_digest(key["value"].encode(), value):
                return key if is_usable(key) else None
        return None

    def active(self, family):
        return [key for key in self.keys.values() if key["family"] == family and key["status"] == "active"]

    def revoke(self, family, key_id):
        key = self.keys.get(key_id)
        if key is None or key["family"] != family or key["status"] != "active":
            return None
        key["status"] = "revoked"
        return key

    def sendgrid_rate_headers(self):
        """Advertise a 600-per-minute budget that counts down within each minute (never enforced)."""
        now = int(time.time())
        start = now - now % 60
        seen = self.rate_window[1] + 1 if self.rate_window[0] == start else 1
        self.rate_window = (start, seen)
        return {"X-RateLimit-Limit": str(SENDGRID_RATE_LIMIT),
                "X-RateLimit-Remaining": str(max(0, SENDGRID_RATE_LIMIT - seen)),
                "X-RateLimit-Reset": str(start + 60)}

    def admit(self, request):
        """Log a non-admin request and decide its fate: (log entry, kill timing or None, fault or None)."""
        entry = {"method": request.method, "path": request.path, "status": 0}
        self.log.append(entry)
        kill = None
        if self.kill_plan is not None:
            self.kill_plan["remaining"] -= 1
            if self.kill_plan["remaining"] == 0:
                kill = self.kill_plan
                self.kill_plan = None
        if kill is not None and kill["when"] == "before":
            return entry, kill, None   # never processed: leave pending faults for the retry
        return entry, kill, self.take_fault(request)

    def take_fault(self, request):
        for fault in self.faults:
            if fault["method"] not in (None, request.method):
                continue
            if not request.path.startswith(fault["path_prefix"]):
                continue
            fault["count"] -= 1
            if fault["count"] == 0:
                self.faults.remove(fault)
            return fault
        return None


def idempotent(store, request, family, document, create):
    """Replay the first successful answer to a repeated Idempotency-Key instead of creating another key.

    Neither SendGrid nor Cloudflare documents an idempotency header; this server supports one only so that a
    client's retry-after-lost-response path can be tested. Only 2xx answers are remembered: a rejected request
    created nothing, so retrying it is harmless."""
    token = request.headers.get("Idempotency-Key")
    if not token:
        return create()
    fingerprint = json.dumps(document, sort_keys=True, separators=(",", ":"))
    cached = store.idempotency.get((token, family))
    if cached is not None:
        if cached[0] != fingerprint:
            return family_error(family, 422, "idempotency key reused with a different request")
        return Reply(cached[1], cached[2])
    reply = create()
    if 200 <= reply.status < 300:
        store.idempotency[(token, family)] = (fingerprint, reply.status, reply.document)
    return reply


# ---------------------------------------------------------------- SendGrid

def sendgrid_auth(store, request, scope=None):
    """(key, None) when the bearer key is usable and holds scope, else (None, 401 or 403 reply)."""
    key = store.bearer(request, "sendgrid")
    if key is None:
        return None, sendgrid_error(401, "authorization required")
    if scope is not None and scope not in key["scopes"]:
        return None, sendgrid_error(403, "access forbidden")
    return key, None


def sendgrid_create(store, request, _match):
    parent, denied = sendgrid_auth(store, request, "api_keys.create")
    if denied:
        return denied
    document, bad = json_object(request, "sendgrid")
    if bad:
        return bad
    return idempotent(store, request, "sendgrid", document, lambda: sendgrid_mint(store, parent, document))


def sendgrid_mint(store, parent, document):
    name = document.get("name")
    if not valid_name(name, SENDGRID_NAME_MAX):
        return sendgrid_error(400, "missing required argument", "name")
    # Without scopes, SendGrid gives the new key everything its creator may grant.
    scopes = document.get("scopes", parent["scopes"])
    if not is_string_list(scopes):
        return sendgrid_error(400, "scopes must be a list of strings", "scopes")
    if not set(scopes) <= set(parent["scopes"]):
        return sendgrid_error(403, "access forbidden")   # a key cannot grant more than it holds
    if len(store.active("sendgrid")) >= SENDGRID_KEY_LIMIT:
        return sendgrid_error(403, "limit of 100 API keys reached")
    key = store.add_key("sendgrid", name, scopes)
    return Reply(201, {"api_key": key["value"], "api_key_id": key["id"], "name": name,
                       "scopes": list(key["scopes"])})


def sendgrid_list(store, request, _match):
    _key, denied = sendgrid_auth(store, request, "api_keys.read")
    if denied:
        return denied
    limit = positive_int(request.query.get("limit"), 50)
    if limit is None:
        return sendgrid_error(400, "limit must be a positive integer", "limit")
    keys = store.active("sendgrid")[:min(limit, 500)]
    return Reply(200, {"result": [{"name": key["name"], "api_key_id": key["id"]} for key in keys]})


def sendgrid_delete(store, request, match):
    _key, denied = sendgrid_auth(store, request, "api_keys.delete")
    if denied:
        return denied
    if store.revoke("sendgrid", match.group("id")) is None:
        return sendgrid_error(404, "unable to find API key")
    return Reply(204)


def sendgrid_scopes(store, request, _match):
    key, denied = sendgrid_auth(store, request)
    if denied:
        return denied
    return Reply(200, {"scopes": list(key["scopes"])})


# ---------------------------------------------------------------- Cloudflare

def cloudflare_auth(store, request, mint=False):
    """(token, None) when the bearer token is usable (and may mint, if asked), else (None, 401 or 403 reply)."""
    token = store.bearer(request, "cloudflare")
    if token is None:
        return None, cloudflare_error(401, "Invalid API Token", 1000)
    if mint and not token["can_mint"]:
        return None, cloudflare_error(403, "Unauthorized to access requested resource", 9109)
    return token, None


def cloudflare_summary(token):
    """A token as listings show it: never its value; status 'expired' once past expires_on, as Cloudflare does."""
    summary = {"id": token["id"], "name": token["name"],
               "status": "active" if is_usable(token) else "expired",
               "issued_on": rfc3339(token["created"]), "modified_on": rfc3339(token["created"]),
               "policies": token["policies"]}
    if token["expires_on"] is not None:
        summary["expires_on"] = token["expires_on"]
    return summary


def cloudflare_create(store, request, _match):
    _token, denied = cloudflare_auth(store, request, mint=True)
    if denied:
        return denied
    document, bad = json_object(request, "cloudflare")
    if bad:
        return bad
    return idempotent(store, request, "cloudflare", document, lambda: cloudflare_mint(store, document))


def cloudflare_mint(store, document):
    name, policies = document.get("name"), document.get("policies")
    if not valid_name(name, CLOUDFLARE_NAME_MAX):
        return cloudflare_error(400, "Invalid request: name is required (1 to 120 characters)", 6003)
    if not isinstance(policies, list) or not policies:
        return cloudflare_error(400, "Invalid request: policies must be a non-empty list", 6003)
    expires_on = document.get("expires_on")
    if expires_on is not None:
        epoch = parse_rfc3339(expires_on)
        if epoch is None:
            return cloudflare_error(400, "Invalid request: expires_on must be YYYY-MM-DDTHH:MM:SSZ", 6003)
        expires_on = rfc3339(epoch)
    token = store.add_key("cloudflare", name, expires_on=expires_on, policies=policies)
    result = cloudflare_summary(token)
    result["status"] = "active"
    result["value"] = token["value"]   # the only time a value is ever returned
    return Reply(200, cloudflare_envelope(result))


def cloudflare_list(store, request, _match):
    _token, denied = cloudflare_auth(store, request, mint=True)
    if denied:
        return denied
    page = positive_int(request.query.get("page"), 1)
    per_page = positive_int(request.query.get("per_page"), 20)
    if page is None or per_page is None:
        return cloudflare_error(400, "Invalid request: page and per_page must be positive integers", 6003)
    per_page = max(5, min(per_page, 50))   # Cloudflare documents 5..50, default 20
    tokens = store.active("cloudflare")
    shown = tokens[(page - 1) * per_page:page * per_page]
    info = {"page": page, "per_page": per_page, "count": len(shown), "total_count": len(tokens),
            "total_pages": (len(tokens) + per_page - 1) // per_page}
    return Reply(200, cloudflare_envelope([cloudflare_summary(token) for token in shown], result_info=info))


def cloudflare_verify(store, request, _match):
    token, denied = cloudflare_auth(store, request)
    if denied:
        return denied
    result = {"id": token["id"], "status": "active"}
    if token["expires_on"] is not None:
        result["expires_on"] = token["expires_on"]
    return Reply(200, cloudflare_envelope(result))


def cloudflare_delete(store, request, match):
    _token, denied = cloudflare_auth(store, request, mint=True)
    if denied:
        return denied
    token_id = match.group("id")
    if store.revoke("cloudflare", token_id) is None:
        # Cloudflare documents no code for an unknown token; 1003 is this server's own choice.
        return cloudflare_error(404, "Token not found", 1003)
    return Reply(200, cloudflare_envelope({"id": token_id}))


ROUTES = [
    ("POST", r"/v3/api_keys", sendgrid_create),
    ("GET", r"/v3/api_keys", sendgrid_list),
    ("DELETE", r"/v3/api_keys/(?P<id>[^/]+)", sendgrid_delete),
    ("GET", r"/v3/scopes", sendgrid_scopes),
    ("POST", r"/client/v4/user/tokens", cloudflare_create),
    ("GET", r"/client/v4/user/tokens", cloudflare_list),
    ("GET", r"/client/v4/user/tokens/verify", cloudflare_verify),
    ("DELETE", r"/client/v4/user/tokens/(?P<id>[^/]+)", cloudflare_delete),
]
ROUTES = [(method, re.compile(pattern), handler) for method, pattern, handler in ROUTES]


def process(store, request):
    """The real answer to a non-admin request (faults and kill plans are applied by the caller)."""
    family = family_of(request.path)
    if request.body_error is not None:
        return family_error(family, *request.body_error)
    for method, pattern, handler in ROUTES:
        match = pattern.fullmatch(request.path)
        if match and method == request.method:
            return handler(store, request, match)
    return family_error(family, 404, f"no route for {request.method} {request.path}", 7000)


# ---------------------------------------------------------------- admin

def admin_error(status, message):
    return Reply(status, {"error": message})


def admin_add_key(store, document):
    family = document.get("family")
    if family not in ("sendgrid", "cloudflare"):
        return admin_error(400, 'family must be "sendgrid" or "cloudflare"')
    name = document.get("name", f"{family}-seed")
    scopes = document.get("scopes", [])
    if not isinstance(name, str) or not is_string_list(scopes):
        return admin_error(400, "name must be a string and scopes a list of strings")
    expires_on = document.get("expires_on")
    if expires_on is not None:
        epoch = parse_rfc3339(expires_on)
        if epoch is None:
            return admin_error(400, "expires_on must be YYYY-MM-DDTHH:MM:SSZ")
        expires_on = rfc3339(epoch)
    key = store.add_key(family, name, scopes if family == "sendgrid" else (),
                        can_mint=family == "cloudflare" and document.get("can_mint") is True,
                        expires_on=expires_on)
    return Reply(201, {"id": key["id"], "value": key["value"]})


def admin_list_keys(store):
    keys = [{"id": key["id"], "family": key["family"], "name": key["name"], "value": key["value"],
             "status": key["status"], "expires_on": key["expires_on"], "usable": is_usable(key),
             "scopes": key["scopes"], "can_mint": key["can_mint"]} for key in store.keys.values()]
    return Reply(200, {"keys": keys})


def admin_add_fault(store, document):
    status, count = document.get("status"), document.get("count", 1)
    retry_after = document.get("retry_after", 1)
    method, prefix = document.get("method"), document.get("path_prefix", "")
    if not _is_int(status) or not 100 <= status <= 599:
        return admin_error(400, "status must be an HTTP status code")
    if not _is_int(count) or count < 1 or not _is_int(retry_after) or retry_after < 0:
        return admin_error(400, "count must be >= 1 and retry_after a whole number of seconds >= 0")
    if not isinstance(method, (str, type(None))) or not isinstance(prefix, str):
        return admin_error(400, "method and path_prefix must be strings")
    message, raw_body = document.get("message"), document.get("raw_body")
    if not isinstance(message, (str, type(None))) or not isinstance(raw_body, (str, type(None))):
        return admin_error(400, "message and raw_body must be strings")
    store.faults.append({"status": status, "count": count, "method": method.upper() if method else None,
                         "path_prefix": prefix, "after": document.get("after") is True,
                         "retry_after": retry_after, "message": message, "raw_body": raw_body,
                         "reset_only": document.get("reset_only") is True})
    return Reply(200, {"pending_faults": len(store.faults)})


def admin_kill(store, document):
    pid, nth, when = document.get("pid"), document.get("nth", 1), document.get("when", "before")
    # pid 0, 1 and negatives would signal a process group, init or everything: refuse them.
    if not _is_int(pid) or pid <= 1:
        return admin_error(400, "pid must be a process id > 1")
    if not _is_int(nth) or nth < 1 or when not in ("before", "after"):
        return admin_error(400, 'nth must be >= 1 and when "before" or "after"')
    store.kill_plan = {"pid": pid, "remaining": nth, "when": when}
    return Reply(200, {"kill_plan": {"pid": pid, "nth": nth, "when": when}})


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def admin(store, request):
    route = (request.method, request.path)
    if request.body_error is not None:
        return admin_error(*request.body_error)
    if route == ("GET", "/_admin/keys"):
        return admin_list_keys(store)
    if route == ("GET", "/_admin/log"):
        return Reply(200, {"requests": [dict(entry) for entry in store.log]})
    if route == ("DELETE", "/_admin/log"):
        store.clear_log()
        return Reply(200, {"cleared": True})
    if route == ("POST", "/_admin/reset"):
        store.reset()
        return Reply(200, {"reset": True})
    posts = {"/_admin/keys": admin_add_key, "/_admin/faults": admin_add_fault, "/_admin/kill": admin_kill}
    if request.method == "POST" and request.path in posts:
        document, bad = json_object(request, None)
        return bad or posts[request.path](store, document)
    return admin_error(404, f"no admin route for {request.method} {request.path}")


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass   # already gone, or not ours: the test will notice that it survived


# ---------------------------------------------------------------- HTTP plumbing

class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # Clients that vanish mid-request (the kill tests do this on purpose) are routine, not errors.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def make_handler(store):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60   # idle keep-alive connections and stalled TLS handshakes give up after this

        def log_message(self, fmt, *args):
            pass       # never log: requests carry key values

        def setup(self):
            super().setup()
            # The listening socket does not handshake on accept, so a stalled client cannot block the accept loop.
            if hasattr(self.connection, "do_handshake"):  # not with --plain
                self.connection.do_handshake()

        def handle_expect_100(self):
            # Don't invite an upload that will be refused with 413 anyway.
            length = self.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                return True
            return super().handle_expect_100()

        def do_GET(self):
            self.dispatch()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

        def read_body(self):
            """(body, error): error is (status, message) when the body was not read (the connection then closes)."""
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return b"", (411, "chunked request bodies are not supported; send Content-Length")
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if length < 0:
                return b"", (400, "invalid Content-Length")
            if length > MAX_BODY_BYTES:
                return b"", (413, "request body larger than 1 MB")
            body = self.rfile.read(length)
            if len(body) < length:
                raise ConnectionError("client closed the connection mid-body")
            return body, None

        def dispatch(self):
            url = urllib.parse.urlsplit(self.path)
            body, body_error = self.read_body()
            if body_error is not None:
                self.close_connection = True   # the unread body would be parsed as the next request
            query = {name: values[-1] for name, values in urllib.parse.parse_qs(url.query).items()}
            request = Request(self.command, url.path, query, self.headers, body, body_error)
            if url.path.startswith("/_admin/"):
                with store.lock:
                    reply = admin(store, request)
            else:
                reply = self.serve_api(request)
            if reply is None:
                self.close_connection = True   # a kill plan fired: hang up without answering
                return
            self.send_reply(reply)

        def serve_api(self, request):
            """The reply to send, or None when the connection must close without one."""
            family = family_of(request.path)
            with store.lock:
                entry, kill_plan, fault = store.admit(request)
                if kill_plan is not None and kill_plan["when"] == "before":
                    kill(kill_plan["pid"])
                    return None
                if fault is not None and not fault["after"]:
                    reply = fault_reply(family, fault)
                else:
                    try:
                        reply = process(store, request)
                    except Exception:   # a bug must still produce a complete response
                        reply = family_error(family, 500, "internal server error")
                    if fault is not None:
                        reply = fault_reply(family, fault)   # the effect happened; its answer is lost
                if kill_plan is not None:
                    kill(kill_plan["pid"])
                    return None
                if family == "sendgrid":
                    # Fault-specific headers (a 429's zero remaining) win over the running budget.
                    reply.headers = {**store.sendgrid_rate_headers(), **reply.headers}
                entry["status"] = reply.status
                return reply

        def send_reply(self, reply):
            has_body = reply.status not in NO_BODY_STATUSES and (reply.document is not None or reply.raw is not None)
            if reply.raw is not None:
                body = reply.raw.encode() if has_body else b""
            else:
                body = json.dumps(reply.document).encode() if has_body else b""
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if has_body:
                self.send_header("Content-Type", "application/json")
            if reply.status not in NO_BODY_STATUSES:
                # RFC 9110 forbids Content-Length on 204; everything else states its length, even when 0.
                self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--plain", action="store_true",
                        help="plain HTTP instead of TLS (for a test proxy that must read the requests)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--watch-parent", action="store_true", help="exit when the parent process dies")
    args = parser.parse_args()
    if not args.plain and not (args.cert and args.key):
        parser.error("--cert and --key are required unless --plain is given")
    if args.watch_parent:
        watch_parent()

    server = Server((args.host, args.port), make_handler(Store()))
    if not args.plain:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    serve_until_terminated(server, args.port_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
