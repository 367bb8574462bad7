#!/usr/bin/env python3
"""Administer a local moto server acting as Secrets Manager, for tests, benchmarks and `make demo`.

Every subcommand prints one JSON document on stdout. A failed AWS call prints
{"error": "<Code>", "message": "..."} and exits with status 1.

    python3 scripts/moto_admin.py serve --port 5123 [--watch-parent] [--ssl-cert CERT --ssl-key KEY]   (HTTPS: the
        other subcommands then trust the CA named by AWS_CA_BUNDLE)
    python3 scripts/moto_admin.py --endpoint http://127.0.0.1:5123 provision-auth
    python3 scripts/moto_admin.py --endpoint URL create-secret --name NAME --secret-string -   (value on stdin)
    python3 scripts/moto_admin.py --endpoint URL get-value --secret-id ID [--stage S | --version-id V]

After `provision-auth`, moto checks the signature of every request. The admin user's keys come from
MOTO_ADMIN_ACCESS_KEY_ID / MOTO_ADMIN_SECRET_ACCESS_KEY (any value works while auth is off).
Facts behind this: moto's IAM authentication (http://docs.getmoto.org/en/latest/docs/iam.html) and its
Secrets Manager backend, which cannot invoke a rotation Lambda (it only stages AWSPENDING).
"""
import argparse
import datetime
import json
import os
import ssl
import sys
import urllib.request

REGION = "us-east-1"
ACCOUNT = "123456789012"
ADMIN_USER = "rotator-admin"
ROLE_NAME = "rotator-lambda"
# What the rotation function is allowed to do: the actions of template.yaml plus what the operator commands read
# (ListSecretVersionIds for `status`, ListSecrets for the account view). moto checks secretsmanager actions against
# resource "*" only.
ROLE_ACTIONS = [
    "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetRandomPassword",
    "secretsmanager:ListSecretVersionIds", "secretsmanager:ListSecrets", "secretsmanager:BatchGetSecretValue",
    # What template.yaml grants when master secrets are configured: an RDS-managed master's database, replicas.
    "rds:DescribeDBInstances", "rds:DescribeDBClusters",
]


def emit(document):
    json.dump(document, sys.stdout, default=_json_default)
    sys.stdout.write("\n")


def _json_default(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(type(value).__name__)


def client(args, service, access_key=None, secret_key=None, token=None):
    import boto3
    from botocore.config import Config
    return boto3.client(
        service, endpoint_url=args.endpoint, region_name=REGION,
        aws_access_key_id=access_key or os.environ.get("MOTO_ADMIN_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=secret_key or os.environ.get("MOTO_ADMIN_SECRET_ACCESS_KEY", "testing"),
        aws_session_token=token,
        config=Config(retries={"mode": "standard", "max_attempts": 3}))


def reset_auth(endpoint, count):
    # text/plain: a form-encoded body is swallowed by Flask and the call fails with 500.
    request = urllib.request.Request(
        endpoint + "/moto-api/reset-auth", data=str(count).encode(), method="POST",
        headers={"Content-Type": "text/plain"})
    # An HTTPS moto's certificate is trusted through AWS_CA_BUNDLE, as boto3 trusts it.
    context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.loads(response.read() or b"{}")


def secret_string(value):
    return sys.stdin.read() if value == "-" else value


def enforce_version_immutability():
    """moto 5.x lets PutSecretValue replace the value of a version labelled AWSPENDING that already has one (it
    means to let the rotation stub get its first value, but lets a second, different value through too). AWS refuses
    that: "If a version with this value already exists and that version's SecretString or SecretBinary values are the
    same as those in the request, the request is ignored. [...] If they differ, the request fails"
    (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html). The tests need AWS's
    behaviour: a rotator that stored a second, different pending value would lose the one its setSecret used."""
    from moto.secretsmanager import models
    from moto.secretsmanager.exceptions import ResourceExistsException
    original = models.SecretsManagerBackend._check_with_existing_secrets_and_versions

    def check(self, secret_name, client_request_token, secret_string, secret_binary, on_create=False):
        secret = self.secrets.get(secret_name)
        version = secret.versions.get(client_request_token) if secret is not None and client_request_token else None
        if version is not None and (version.get("secret_string") is not None or version.get("secret_binary") is not None):
            if version.get("secret_string") != secret_string or version.get("secret_binary") != secret_binary:
                raise ResourceExistsException(
                    f"You can't use ClientRequestToken {client_request_token} because that value is already in use "
                    f"for a version of secret {secret.arn}.")
        return original(self, secret_name, client_request_token, secret_string, secret_binary, on_create)

    models.SecretsManagerBackend._check_with_existing_secrets_and_versions = check


def allow_unsigned_web_identity():
    """AWS answers AssumeRoleWithWebIdentity without a signature: the token is the proof
    (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html). moto 5.x, with signature
    checking on, reads the Authorization header of every request and fails with HTTP 500 when there is none. The
    tests' web identity credentials must come from that call, and every request made with them is still checked."""
    from moto.core.responses import BaseResponse
    original = BaseResponse._authenticate_and_authorize_normal_action

    def authorize(self, resource="*"):
        if self._get_action() in ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"):
            return None
        return original(self, resource)

    BaseResponse._authenticate_and_authorize_normal_action = authorize


def batch_reads_awscurrent():
    """BatchGetSecretValue returns each secret's AWSCURRENT version
    (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html). moto 5.x asks its
    GetSecretValue for neither a version nor a label, which gives the secret's first version once a rotation has moved
    AWSCURRENT. The SecretIdList form is answered here as AWS answers it; the Filters form is left to moto."""
    from moto.secretsmanager import models
    from moto.secretsmanager.exceptions import InvalidRequestException, SecretNotFoundException
    original = models.SecretsManagerBackend.batch_get_secret_value

    def batch(self, secret_id_list=None, filters=None, max_results=None, next_token=None):
        if not secret_id_list or filters:
            return original(self, secret_id_list, filters, max_results, next_token)
        values, errors = [], []
        for secret_id in secret_id_list:
            try:
                values.append(self.get_secret_value(secret_id, None, "AWSCURRENT"))
            except (SecretNotFoundException, InvalidRequestException) as error:
                errors.append({"SecretId": secret_id, "ErrorCode": error.error_type, "Message": error.message})
        return values, errors, None

    models.SecretsManagerBackend.batch_get_secret_value = batch


def sign_bodiless_requests_as_sent():
    """moto 5.x recomputes a signature over `self._body or self._data`: for a GET, which has no body, that is the
    query parameters or path values form-encoded, so every signed REST GET (Lambda's GetFunctionConfiguration, even
    from botocore) fails with SignatureDoesNotMatch. AWS signs the payload that was sent: empty."""
    from moto.iam import access_control
    original = access_control.IAMRequestBase._create_aws_request

    def create(self):
        request = original(self)
        if self._method in ("GET", "HEAD", "DELETE") and not self._body:
            request.data = b""
        return request

    access_control.IAMRequestBase._create_aws_request = create


def cmd_serve(args):
    enforce_version_immutability()
    sign_bodiless_requests_as_sent()
    batch_reads_awscurrent()
    allow_unsigned_web_identity()
    if args.watch_parent:
        # moto must never outlive whoever started it, even if that process is killed.
        from serving import watch_parent  # beside this script
        watch_parent()
    from moto.server import main as moto_main
    tls = ["--ssl-cert", args.ssl_cert, "--ssl-key", args.ssl_key] if args.ssl_cert else []
    moto_main(["-H", args.host, "-p", str(args.port)] + tls)


def cmd_provision_auth(args):
    reset_auth(args.endpoint, "inf")  # free actions until the user and role exist
    iam = client(args, "iam")
    iam.create_user(UserName=ADMIN_USER)
    iam.put_user_policy(UserName=ADMIN_USER, PolicyName="admin", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{ADMIN_USER}"}}]}))
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="rotation", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ROLE_ACTIONS, "Resource": "*"}]}))
    reset_auth(args.endpoint, 0)  # from here on every request is signature-checked
    sts = client(args, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    role = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}", RoleSessionName="rotator-tests")
    credentials = role["Credentials"]
    emit({
        "region": REGION,
        "admin": {"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]},
        "role": {"accessKeyId": credentials["AccessKeyId"], "secretAccessKey": credentials["SecretAccessKey"],
                 "sessionToken": credentials["SessionToken"]},
    })


def cmd_create_secret(args):
    response = client(args, "secretsmanager").create_secret(
        Name=args.name, SecretString=secret_string(args.secret_string))
    emit({"ARN": response["ARN"], "Name": response["Name"], "VersionId": response.get("VersionId")})


def cmd_get_value(args):
    from botocore.exceptions import ClientError
    parameters = {"SecretId": args.secret_id}
    if args.version_id:
        parameters["VersionId"] = args.version_id
    if args.stage or not args.version_id:
        parameters["VersionStage"] = args.stage or "AWSCURRENT"  # always explicit: moto's default can differ
    try:
        response = client(args, "secretsmanager").get_secret_value(**parameters)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException" and "secret value" in str(error):
            emit({"SecretString": None})  # the version exists but has no value (the AWSPENDING stub)
            return
        raise
    emit({"SecretString": response.get("SecretString"), "VersionId": response["VersionId"],
          "VersionStages": response.get("VersionStages", [])})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("MOTO_ENDPOINT", "http://127.0.0.1:5000"))
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run moto's server (blocks)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--watch-parent", action="store_true", help="exit when the parent process dies")
    serve.add_argument("--ssl-cert", help="serve HTTPS with this certificate (PEM; --ssl-key too)")
    serve.add_argument("--ssl-key")
    serve.set_defaults(run=cmd_serve)

    commands.add_parser("provision-auth", help="IAM user + role, auth on, AssumeRole").set_defaults(
        run=cmd_provision_auth)

    create = commands.add_parser("create-secret")
    create.add_argument("--name", required=True)
    create.add_argument("--secret-string", required=True, help="the value, or - to read it from stdin")
    create.set_defaults(run=cmd_create_secret)


    get_value = commands.add_parser("get-value")
    get_value.add_argument("--secret-id", required=True)
    get_value.add_argument("--stage")
    get_value.add_argument("--version-id")
    get_value.set_defaults(run=cmd_get_value)


    args = parser.parse_args()
    args.endpoint = args.endpoint.rstrip("/")
    try:
        args.run(args)
    except Exception as error:  # noqa: BLE001 - one JSON error line for the caller, whatever failed
        response = getattr(error, "response", None)
        if isinstance(response, dict) and "Error" in response:
            emit({"error": response["Error"].get("Code", "Unknown"), "message": response["Error"].get("Message", "")})
        else:
            emit({"error": type(error).__name__, "message": str(error)})
        sys.exit(1)


if __name__ == "__main__":
    main()
