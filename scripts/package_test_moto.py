#!/usr/bin/env python3
"""Secrets Manager fixture for the package test's rotation scenario (moto over HTTPS, boto3 on the host).

  setup   creates a secret, starts a rotation the way Secrets Manager does before it invokes the function
          (AWSPENDING stub, RotationEnabled; moto cannot call our Lambda, see http://docs.getmoto.org/en/latest/docs/services/secretsmanager.html
          §1.2), and writes the four events (createSecret, setSecret, testSecret, finishSecret) for the fake
          Runtime API. Secret values go only to --state (mode 600), never to stdout.
  verify  checks the whole rotation happened: four 202 responses and no error in the Runtime API record,
          AWSCURRENT on the new version, AWSPREVIOUS on the old one, a new password, and no secret value in any
          log file or Runtime API body given.
  verify-refused  checks the bootstrap reported an error (and no response) for every event, e.g. when the
          endpoint's certificate is not in the CA bundle, and that the secret is untouched.
  With --api-key URL --api-ca CA (setup and verify) the secret holds a key of the local API-keys server for the
  sendgrid recipe, and verify asks that server whether the new key works and the replaced one still does.
  With --postgres HOST:PORT:USER (setup; the user's password on stdin) the secret is a PostgreSQL secret
  (engine postgres, ssl true), and verify also logs in with psql: the new password must work, the old one not.
  --mariadb HOST:PORT:USER does the same for a MariaDB secret (engine mariadb), checked with the mariadb client.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import uuid

import boto3
import botocore.exceptions

FAKE_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:rotator-package-test"


def client(args):
    return boto3.client("secretsmanager", endpoint_url=args.endpoint, region_name=args.region, verify=args.ca,
                        aws_access_key_id="AKIAPACKAGETEST00001", aws_secret_access_key="package-test-not-secret")


def stages(sm, arn: str) -> dict[str, list[str]]:
    return sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})


def setup(args) -> int:
    sm = client(args)
    if args.api_key:
        # The first key, made by hand as in the service's console (the local API's admin route).
        seeded = api_admin(args, "POST", "/_admin/keys", {
            "family": "sendgrid", "name": "first",
            "scopes": ["mail.send", "api_keys.create", "api_keys.read", "api_keys.delete"]})
        old_password = seeded["value"]
        value = {"api_key": old_password, "api_key_id": seeded["id"], "previous_api_key_id": "",
                 "rotator_recipe": "sendgrid"}
    elif args.postgres or args.mariadb:
        host, port, user = (args.postgres or args.mariadb).split(":")
        old_password = sys.stdin.read().strip()
        value = {"engine": "postgres" if args.postgres else "mariadb", "host": host, "port": int(port),
                 "username": user, "password": old_password, "ssl": True}
        if args.postgres:
            value["dbname"] = "postgres"
    else:
        old_password = secrets.token_urlsafe(24)
        value = {"username": "package_test_user", "password": old_password}
    created = sm.create_secret(Name=f"package-test/{uuid.uuid4().hex[:12]}", SecretString=json.dumps(value))
    arn, old_version = created["ARN"], created["VersionId"]
    token = str(uuid.uuid4())
    try:
        sm.rotate_secret(SecretId=arn, ClientRequestToken=token, RotationLambdaARN=FAKE_FUNCTION_ARN,
                         RotationRules={"AutomaticallyAfterDays": 30})
    except botocore.exceptions.ClientError as error:   # moto cannot find our function: expected, state is set
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    found = stages(sm, arn)
    if found.get(token) != ["AWSPENDING"]:
        print(f"setup: moto did not stage AWSPENDING on the token: {found}", file=sys.stderr)
        return 1
    events = [{"Step": step, "SecretId": arn, "ClientRequestToken": token}
              for step in ("createSecret", "setSecret", "testSecret", "finishSecret")]
    with open(args.events, "w") as handle:
        json.dump(events, handle)
    fd = os.open(args.state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"arn": arn, "token": token, "oldVersion": old_version, "secrets": [old_password], "value": value},
                  handle)
    print(f"setup: secret {arn} staged for rotation (token {token}); 4 events in {args.events}")
    return 0


def api_admin(args, method: str, path: str, body=None) -> dict:
    """The local API's admin routes (scripts/api_keys_server.py), over HTTPS with its CA."""
    import ssl
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(args.api_key + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    context = ssl.create_default_context(cafile=args.api_ca)
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def load_record(path: str) -> list[dict]:
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def scan(paths: list[str], values: list[str]) -> list[str]:
    leaks = []
    for path in paths:
        with open(path, errors="replace") as handle:
            text = handle.read()
        leaks += [f"{path}: contains secret value #{i + 1}" for i, value in enumerate(values) if value and value in text]
    return leaks


def verify(args) -> int:
    with open(args.state) as handle:
        state = json.load(handle)
    sm = client(args)
    problems = []
    record = load_record(args.record)
    responses = [r for r in record if r["kind"] == "response" and r["status"] == 202]
    errors = [r for r in record if r["kind"] in ("error", "init-error")]
    if errors:
        problems += [f"Runtime API got an error report: {e.get('errorType')}: "
                     f"{(e.get('body') or {}).get('errorMessage') if isinstance(e.get('body'), dict) else e.get('body')}"
                     for e in errors]
    if len(responses) != 4:
        problems.append(f"expected 4 accepted responses, got {len(responses)}")
    found = stages(sm, state["arn"])
    if "AWSCURRENT" not in found.get(state["token"], []):
        problems.append(f"AWSCURRENT is not on the new version: {found}")
    if "AWSPREVIOUS" not in found.get(state["oldVersion"], []):
        problems.append(f"AWSPREVIOUS is not on the old version: {found}")
    current = json.loads(sm.get_secret_value(SecretId=state["arn"], VersionStage="AWSCURRENT")["SecretString"])
    api_key = "rotator_recipe" in state["value"]
    field = "api_key" if api_key else "password"
    rotated = {"api_key", "api_key_id", "previous_api_key_id"} if api_key else {"password"}
    new_password = current.get(field, "")
    if not new_password or new_password in state["secrets"]:
        problems.append(f"the {field} did not change")
    if [(k, v) for k, v in current.items() if k not in rotated] != \
            [(k, v) for k, v in state["value"].items() if k not in rotated]:
        problems.append("the other keys of the secret were not kept")
    if api_key:
        usable = {key["value"]: key["usable"] for key in api_admin(args, "GET", "/_admin/keys")["keys"]}
        if not usable.get(new_password):
            problems.append("the API does not accept the new key")
        if not usable.get(state["secrets"][0]):
            problems.append("the replaced key was revoked at once (retire nextRotation keeps it one period)")
    engine = state["value"].get("engine")
    if engine in ("postgres", "mariadb"):
        logs_in, name = (psql_logs_in, "PostgreSQL") if engine == "postgres" else (mariadb_logs_in, "MariaDB")
        if not logs_in(state["value"], new_password):
            problems.append(f"the new password does not log in to {name}")
        if logs_in(state["value"], state["secrets"][0]):
            problems.append(f"the old password still logs in to {name}")
    problems += scan(args.logs, state["secrets"] + [new_password])
    for line in problems:
        print(f"verify: FAIL {line}", file=sys.stderr)
    if problems:
        return 1
    print(f"verify: ok - 4 steps answered 202, AWSCURRENT moved to {state['token']}, {field} changed, "
          f"no secret value in {len(args.logs)} log file(s)")
    return 0


def psql_logs_in(value: dict, password: str) -> bool:
    environment = {"PATH": "/usr/bin:/bin", "PGHOST": value["host"], "PGPORT": str(value["port"]),
                   "PGUSER": value["username"], "PGPASSWORD": password, "PGDATABASE": "postgres",
                   "PGSSLMODE": "require", "PGCONNECT_TIMEOUT": "5"}
    done = subprocess.run(["/usr/lib/postgresql/15/bin/psql", "-X", "-A", "-t", "-c", "SELECT 1"], env=environment,
                          capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == "1"


def mariadb_logs_in(value: dict, password: str) -> bool:
    # The password travels in MYSQL_PWD, never on the command line.
    environment = {"PATH": "/usr/bin:/bin", "MYSQL_PWD": password}
    done = subprocess.run(["mariadb", "--no-defaults", "--protocol=TCP", "-h", value["host"], "-P", str(value["port"]),
                           "-u", value["username"], "--ssl", "--connect-timeout=5", "-N", "-B", "-e", "SELECT 1"],
                          env=environment, capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == "1"


def verify_refused(args) -> int:
    with open(args.state) as handle:
        state = json.load(handle)
    record = load_record(args.record)
    served = [r for r in record if r["kind"] == "next" and r["status"] == 200]
    errors = [r for r in record if r["kind"] == "error" and r["status"] == 202]
    responses = [r for r in record if r["kind"] == "response"]
    problems = []
    if not served:
        problems.append("the bootstrap never fetched an event")
    if responses:
        problems.append(f"{len(responses)} event(s) succeeded although the endpoint is untrusted")
    if len(errors) != len(served):
        problems.append(f"{len(served)} event(s) served but {len(errors)} error report(s)")
    problems += scan(args.logs, state["secrets"])
    for line in problems:
        print(f"verify-refused: FAIL {line}", file=sys.stderr)
    if problems:
        return 1
    first = errors[0]
    message = first["body"].get("errorMessage") if isinstance(first.get("body"), dict) else first.get("body")
    print(f"verify-refused: ok - every event failed: {first.get('errorType')}: {message}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["setup", "verify", "verify-refused"])
    parser.add_argument("--endpoint", required=True, help="moto's https://127.0.0.1:port")
    parser.add_argument("--ca", required=True, help="CA file that signed moto's certificate")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--state", required=True)
    parser.add_argument("--events")
    parser.add_argument("--record")
    parser.add_argument("--logs", nargs="*", default=[])
    parser.add_argument("--postgres", help="HOST:PORT:USER of a PostgreSQL secret (setup; the password on stdin)")
    parser.add_argument("--mariadb", help="HOST:PORT:USER of a MariaDB secret (setup; the password on stdin)")
    parser.add_argument("--api-key", help="base URL of the local API-keys server: a SendGrid-recipe secret")
    parser.add_argument("--api-ca", help="CA file that signed the API-keys server's certificate")
    args = parser.parse_args()
    return {"setup": setup, "verify": verify, "verify-refused": verify_refused}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
