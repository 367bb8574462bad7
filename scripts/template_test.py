#!/usr/bin/env python3
"""Checks template.yaml's safety properties that cfn-lint cannot know about (run by `make lint-template`):

  - RotatorTarget defaults to auto (a fixed generic target would rotate database secrets in Secrets Manager only);
  - EXCLUDE_CHARACTERS, ROTATOR_DB_CA_FILE and ROTATOR_PASSWORD_KEY are set only when given, so the target's own
    default applies otherwise (SAM would otherwise always set them, and an empty value means something);
  - master secrets get their own statement, with read access only, and the RDS lookups only when they are given;
  - the variables for the database TLS settings exist and come from parameters;
  - the optional failure alarm watches the metric the function writes, under the function's name.
Prints one line per check; exits 1 on the first failure.
"""
import sys

from cfnlint.decode import cfn_yaml


def fail(message):
    print(f"template-test: FAIL {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"template-test: ok   {message}")


template = cfn_yaml.load(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
parameters = template["Parameters"]
resources = template["Resources"]
function = template["Resources"]["RotatorFunction"]["Properties"]
variables = function["Environment"]["Variables"]
statements = template["Resources"]["RotatorRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def conditional(name):
    """The (condition, value) of an `!If [cond, value, AWS::NoValue]` variable, or None."""
    value = variables.get(name)
    if isinstance(value, dict) and list(value) == ["Fn::If"]:
        condition, then, otherwise = value["Fn::If"]
        if otherwise == {"Ref": "AWS::NoValue"}:
            return condition, then
    return None


def conditional_statement(sid):
    """The condition of the Fn::If that adds statement `sid`, or None when it is not conditional."""
    for entry in statements:
        if isinstance(entry, dict) and "Fn::If" in entry and entry["Fn::If"][1].get("Sid") == sid:
            return entry["Fn::If"][0]
    return None


def statement(sid):
    for entry in statements:
        body = entry["Fn::If"][1] if isinstance(entry, dict) and "Fn::If" in entry else entry
        if isinstance(body, dict) and body.get("Sid") == sid:
            return body
    return None


check(parameters["RotatorTarget"]["Default"] == "auto", "RotatorTarget defaults to auto")
check(set(parameters["RotatorTarget"]["AllowedValues"]) == {"auto", "generic", "postgres", "mysql", "mariadb", "apikey"},
      "RotatorTarget offers auto and every built-in target")
for variable, parameter in [("EXCLUDE_CHARACTERS", "ExcludeCharacters"), ("ROTATOR_DB_CA_FILE", "DbCaFile"),
                            ("USERNAME_CHARACTER_LIMIT", "UsernameCharacterLimit"),
                            ("ROTATOR_PASSWORD_KEY", "PasswordKey")]:
    found = conditional(variable)
    check(found is not None and found[1] == {"Ref": parameter}, f"{variable} is set from {parameter} only when given")
    check(parameters[parameter]["Default"] == "", f"{parameter} defaults to empty (the target's default)")
for variable, parameter in [("ROTATOR_POSTGRES_MODE", "PostgresMode"), ("ROTATOR_MYSQL_MODE", "MysqlMode"),
                            ("ROTATOR_MARIADB_MODE", "MariadbMode"), ("ROTATOR_ALLOW_TLS_FALLBACK", "AllowTlsFallback")]:
    check(variables.get(variable) == {"Ref": parameter}, f"{variable} comes from {parameter}")
check(parameters["AllowTlsFallback"]["Default"] == "false", "TLS fallback is off by default")
master = statement("ReadMasterSecrets")
check(master is not None
      and sorted(master["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
      and master["Resource"] == {"Ref": "MasterSecretArns"}, "master secrets are readable, not writable")
databases = statement("DescribeMasterDatabases")
check(databases is not None and sorted(databases["Action"]) == ["rds:DescribeDBClusters", "rds:DescribeDBInstances"]
      and all(":rds:${AWS::Region}:${AWS::AccountId}:" in resource["Fn::Sub"] for resource in databases["Resource"]),
      "RDS may only be described, in this account and Region")
check(conditional_statement("DescribeMasterDatabases") == "HasMasterSecretArns",
      "the RDS lookups are granted only when master secrets are configured")
rotate = statement("RotateGivenSecrets")
check(rotate is not None and rotate["Resource"] == {"Ref": "SecretArns"}, "write access covers SecretArns only")
alarm = resources.get("RotationFailureAlarm", {})
check(alarm.get("Condition") == "HasAlarmTopic", "the failure alarm exists only when AlarmTopicArn is given")
alarm_properties = alarm.get("Properties", {})
check(alarm_properties.get("MetricName") == "StepFailures" and alarm_properties.get("Namespace") == {"Ref": "MetricsNamespace"}
      and variables.get("ROTATOR_METRICS_NAMESPACE") == {"Ref": "MetricsNamespace"},
      "the alarm watches the StepFailures metric in the namespace the function writes to")
check(alarm_properties.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": "RotatorFunction"}}],
      "the alarm's dimension is the function's name, as the function writes it (AWS_LAMBDA_FUNCTION_NAME)")
check(alarm_properties.get("TreatMissingData") == "notBreaching" and alarm_properties.get("AlarmActions") == [{"Ref": "AlarmTopicArn"}],
      "no data is no breach; the alarm notifies the topic given")
