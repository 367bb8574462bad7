#!/usr/bin/env python3
"""Generate SigV4 known-answer vectors for Secrets Manager requests with botocore, an independent signer.

The Swift tests (Tests/SigV4Tests/BotocoreVectorTests.swift and
Tests/SecretsManagerTests/RequestSigningTests.swift) read the output, Tests/Vectors/secretsmanager-sigv4.json.
Regenerate with:

    python3 scripts/sigv4_vectors.py > Tests/Vectors/secretsmanager-sigv4.json

Each vector is signed by botocore's SigV4Auth at a frozen time, over exactly the headers the Swift client
sends (Content-Type, X-Amz-Target; botocore derives Host from the URL itself, dropping default ports, and
adds X-Amz-Date and X-Amz-Security-Token). Bodies are compact UTF-8 JSON with non-ASCII characters kept raw,
as the Swift JSON module writes them. The credentials are fake.

Before writing anything, the script also signs a PutSecretValue with a real boto3 secretsmanager client
(captured before sending, nothing leaves the machine) and checks that its SignedHeaders are the set the
vectors use, so the vectors match what botocore really signs for this service.
"""
import datetime
import json
import sys
from unittest import mock

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "ASIAEXAMPLEROTATOR01"
SECRET_KEY = "fake/Secret+Key/For/Tests/0123456789abcdef"
SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLE//////////wEaDFakeSessionToken+/=="
FROZEN = datetime.datetime(2024, 2, 29, 23, 59, 58, tzinfo=datetime.timezone.utc)

VECTORS = [
    {
        "name": "put-secret-value-session-token-unicode-body",
        "endpoint": "https://secretsmanager.us-east-1.amazonaws.com",
        "region": "us-east-1",
        "sessionToken": True,
        "operation": "PutSecretValue",
        "body": {
            "SecretId": "prod/db/main",
            "ClientRequestToken": "8d4a7c2e-1f3b-4e5a-9c6d-0b1a2c3d4e5f",
            "SecretString": json.dumps(
                {"username": "app", "password": "pässwörd ✓ 密码 🙂 \"q\" \\ /", "port": 5432},
                ensure_ascii=False, separators=(",", ":")),
            "VersionStages": ["AWSPENDING"],
            "RotationToken": "0b7e3c1a-6d2f-4a8b-9e5c-1f2a3b4c5d6e",
        },
    },
    {
        "name": "describe-secret-non-default-port-session-token",
        "endpoint": "http://127.0.0.1:4566",
        "region": "us-east-1",
        "sessionToken": True,
        "operation": "DescribeSecret",
        "body": {"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/main-AbCdEf"},
    },
    {
        "name": "get-secret-value-https-port-8443-static-keys",
        "endpoint": "https://vpce-0a1b2c3d.secretsmanager.eu-west-1.vpce.amazonaws.com:8443",
        "region": "eu-west-1",
        "sessionToken": False,
        "operation": "GetSecretValue",
        "body": {"SecretId": "prod/ünïcödé", "VersionStage": "AWSCURRENT"},
    },
    {
        "name": "get-random-password-explicit-default-port",
        "endpoint": "https://secretsmanager.cn-north-1.amazonaws.com.cn:443",
        "region": "cn-north-1",
        "sessionToken": True,
        "operation": "GetRandomPassword",
        "body": {"PasswordLength": 32, "ExcludeCharacters": "/@\"'\\", "ExcludeNumbers": False,
                 "ExcludePunctuation": False, "ExcludeUppercase": False, "ExcludeLowercase": False,
                 "IncludeSpace": False, "RequireEachIncludedType": True},
    },
]


def expected_signed_headers_from_real_client():
    """SignedHeaders of a PutSecretValue as a real boto3 client signs it."""
    captured = {}

    def capture(request, **kwargs):
        captured["authorization"] = request.headers["Authorization"].decode()
        raise StopIteration  # abort before any network I/O

    client = boto3.client(
        "secretsmanager", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, aws_session_token=SESSION_TOKEN)
    client.meta.events.register("before-send.secretsmanager.PutSecretValue", capture)
    try:
        client.put_secret_value(SecretId="x", ClientRequestToken="t" * 32, SecretString="s",
                                VersionStages=["AWSPENDING"])
    except StopIteration:
        pass
    return captured["authorization"].split("SignedHeaders=")[1].split(",")[0]


def sign(vector):
    body = json.dumps(vector["body"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = AWSRequest(method="POST", url=vector["endpoint"] + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager." + vector["operation"],
    })
    token = SESSION_TOKEN if vector["sessionToken"] else None
    auth = botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), "secretsmanager", vector["region"])
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=FROZEN):
        auth.add_auth(request)
    authorization = request.headers["Authorization"]
    # Recompute the intermediate stages exactly as add_auth did (same timestamp in request.context),
    # without the Authorization header that add_auth has just added.
    del request.headers["Authorization"]
    canonical = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical)
    if auth.signature(string_to_sign, request) != authorization.split("Signature=")[1]:
        sys.exit("recomputed signature differs from add_auth's")
    return {
        "name": vector["name"],
        "endpoint": vector["endpoint"],
        "region": vector["region"],
        "accessKeyId": ACCESS_KEY,
        "secretAccessKey": SECRET_KEY,
        "sessionToken": token,
        "epochSeconds": int(FROZEN.timestamp()),
        "operation": vector["operation"],
        "body": body.decode("utf-8"),
        "expected": {
            "amzDate": request.headers["X-Amz-Date"],
            "host": canonical.split("\nhost:")[1].split("\n")[0],
            "signedHeaders": authorization.split("SignedHeaders=")[1].split(",")[0],
            "canonicalRequest": canonical,
            "stringToSign": string_to_sign,
            "signature": authorization.split("Signature=")[1],
            "authorization": authorization,
        },
    }


def main():
    real = expected_signed_headers_from_real_client()
    wanted = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
    if real != wanted:
        sys.exit(f"boto3 signs {real!r} for secretsmanager, not {wanted!r}: review the vectors")
    vectors = [sign(vector) for vector in VECTORS]
    json.dump({"generator": "scripts/sigv4_vectors.py", "botocore": botocore.__version__, "vectors": vectors},
              sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
