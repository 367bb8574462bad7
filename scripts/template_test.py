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


# --sar-variant: the template scripts/sar_template.py makes, without the options SAR cannot take.
SAR_VARIANT = "--sar-variant" in sys.argv[2:]
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
check(set(parameters["RotatorTarget"]["AllowedValues"]) == {"auto", "generic", "postgres", "redshift", "mysql", "mariadb", "redis", "apikey"},
      "RotatorTarget offers auto and every built-in target")
for variable, parameter in [("EXCLUDE_CHARACTERS", "ExcludeCharacters"), ("ROTATOR_DB_CA_FILE", "DbCaFile"),
                            ("USERNAME_CHARACTER_LIMIT", "UsernameCharacterLimit"),
                            ("ROTATOR_PASSWORD_KEY", "PasswordKey")]:
    found = conditional(variable)
    check(found is not None and found[1] == {"Ref": parameter}, f"{variable} is set from {parameter} only when given")
    check(parameters[parameter]["Default"] == "", f"{parameter} defaults to empty (the target's default)")
for variable, parameter in [("ROTATOR_POSTGRES_MODE", "PostgresMode"), ("ROTATOR_MYSQL_MODE", "MysqlMode"),
                            ("ROTATOR_MARIADB_MODE", "MariadbMode"), ("ROTATOR_REDIS_MODE", "RedisMode"), ("ROTATOR_REDSHIFT_MODE", "RedshiftMode"), ("ROTATOR_ALLOW_TLS_FALLBACK", "AllowTlsFallback")]:
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
master_key = statement("ReadMasterSecretsKey")
check(conditional_statement("ReadMasterSecretsKey") == "HasMasterKmsKey" and master_key is not None
      and master_key["Action"] == "kms:Decrypt" and master_key["Resource"] == {"Ref": "MasterSecretKmsKeyArn"}
      and list(master_key["Condition"]["StringEquals"]) == ["kms:ViaService"],
      "the master secrets' own KMS key, when given, may only decrypt, and only through Secrets Manager")
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
for name, metric in [("FunctionErrorsAlarm", "Errors"), ("FunctionThrottlesAlarm", "Throttles")]:
    lambda_alarm = resources.get(name, {})
    properties = lambda_alarm.get("Properties", {})
    check(lambda_alarm.get("Condition") == "HasAlarmTopic" and properties.get("Namespace") == "AWS/Lambda"
          and properties.get("MetricName") == metric
          and properties.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": "RotatorFunction"}}]
          and properties.get("AlarmActions") == [{"Ref": "AlarmTopicArn"}],
          f"Lambda's {metric} for this function notify the same topic (failures the function cannot log)")
rule = resources.get("RotationFailedRule", {})
pattern = rule.get("Properties", {}).get("EventPattern", {})
check(rule.get("Condition") == "HasAlarmTopic" and pattern.get("source") == ["aws.secretsmanager"]
      and sorted(pattern.get("detail", {}).get("eventName", [])) == ["RotationAbandoned", "RotationFailed"]
      and rule["Properties"]["Targets"][0]["Arn"] == {"Ref": "AlarmTopicArn"},
      "Secrets Manager's RotationFailed and RotationAbandoned events reach the topic")
role = resources["RotatorRole"]["Properties"]
check("ManagedPolicyArns" not in role, "no managed policy on the role (AWSLambdaVPCAccessExecutionRole grants logs:*)")
network = statement("NetworkInterfacesInVpc")
check(conditional_statement("NetworkInterfacesInVpc") == "HasVpc" and network is not None
      and all(action.startswith("ec2:") and "Describe" in action or action.endswith("NetworkInterface")
              or action.endswith("PrivateIpAddresses") for action in network["Action"]),
      "in a VPC, only the network-interface actions are added")
check(not any(isinstance(body, dict) and any(str(action).startswith("logs:") and action not in
                                             ("logs:CreateLogStream", "logs:PutLogEvents")
                                             for action in (body.get("Action") if isinstance(body.get("Action"), list)
                                                            else [body.get("Action")]))
              for body in (entry["Fn::If"][1] if isinstance(entry, dict) and "Fn::If" in entry else entry
                           for entry in statements)),
      "the only log permissions are to write the function's own log group")
scope = statement("RotateSecretsNamingThisFunction")
condition = (scope or {}).get("Condition", {}).get("StringEquals", {})
check(conditional_statement("RotateSecretsNamingThisFunction") == "AnySecretNamingThisFunction"
      and list(condition) == ["secretsmanager:resource/AllowRotationLambdaArn"],
      "any-secret scope is granted only with the condition that the secret's rotation names this function")
check(role.get("PermissionsBoundary") == {"Fn::If": ["HasPermissionsBoundary", {"Ref": "PermissionsBoundary"},
                                                     {"Ref": "AWS::NoValue"}]},
      "the permissions boundary is set on the role when given")
vpc_rule = template.get("Rules", {}).get("VpcNeedsBoth", {})
check(bool(vpc_rule.get("Assertions")), "SubnetIds without SecurityGroupIds (or the reverse) is refused, not ignored")
if SAR_VARIANT:
    check("AttachSecretArns" not in parameters and "Fn::ForEach::AttachedSecrets" not in resources
          and statement("RotateAttachedSecrets") is None,
          "the Serverless Application Repository's variant has no AttachSecretArns (it needs Fn::ForEach)")
    sys.exit(0)
attached = resources.get("Fn::ForEach::AttachedSecrets")
check(isinstance(attached, list) and attached[1] == {"Ref": "AttachSecretArns"}
      and next(iter(attached[2].values()))["Type"] == "AWS::SecretsManager::RotationSchedule",
      "AttachSecretArns become one RotationSchedule each")
attach = statement("RotateAttachedSecrets")
check(attach is not None and attach["Resource"] == {"Ref": "AttachSecretArns"},
      "attached secrets are in the policy too")
