#!/usr/bin/env python3
"""The Serverless Application Repository's variant of template.yaml (make release: sar-template-<version>.yaml).

SAR creates an application version only from a template whose Transform is AWS::Serverless-2016-10-31 alone (to any
other it answers "Provided Transform [...] is unsupported. Please use one of the following:
['AWS::Serverless-2016-10-31']": https://github.com/aws/serverless-application-model/issues/859,
https://github.com/aws/aws-sam-cli/issues/7231) and whose resource types are on its list
(https://docs.aws.amazon.com/serverlessrepo/latest/devguide/list-supported-resources.html), where no
AWS::SecretsManager type has been seen. So this variant leaves out the two options that need them: AttachSecretArns
(one RotationSchedule per secret through AWS::LanguageExtensions' Fn::ForEach) and CreateExampleSecret (a secret and
its schedule). What stays is the function, its role, log group, invoke permission, alarms and rule; a secret is then
attached with `aws secretsmanager rotate-secret` or the console, as with AWS's own rotation applications in SAR.

Usage: sar_template.py TEMPLATE OUTPUT   (OUTPUT "-" checks the variant and writes nothing)

It checks what it makes, and exits 1 naming the problem: SAM's transform only; no Fn::ForEach; every resource type
in SUPPORTED; the AWS::ServerlessRepo::Application metadata within SAR's documented limits
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-template-publishing-applications-metadata-properties.html);
nothing left that names what was taken out.
"""
import json
import re
import sys

import yaml
from cfnlint.decode import cfn_yaml

SAM = "AWS::Serverless-2016-10-31"
# On SAR's list of supported resources (the types this template uses that the list has).
SUPPORTED = {"AWS::Serverless::Function", "AWS::IAM::Role", "AWS::Lambda::Permission", "AWS::Logs::LogGroup",
             "AWS::CloudWatch::Alarm", "AWS::Events::Rule"}
REMOVED_PARAMETERS = ["AttachSecretArns", "CreateExampleSecret", "RotationScheduleExpression"]
REMOVED_CONDITIONS = ["HasAttachSecretArns", "CreateExample"]
REMOVED_RESOURCES = ["ExampleSecret", "ExampleRotationSchedule", "Fn::ForEach::AttachedSecrets"]
REMOVED_OUTPUTS = ["ExampleSecretArn"]
# Texts that named a removed option, said again without it.
DESCRIPTION = ("Swift secret-rotation function for AWS Secrets Manager (custom runtime provided.al2023): AWS's "
               "rotation templates' events, secret JSON and variables. Attach secrets with aws secretsmanager "
               "rotate-secret.")
PARAMETER_DESCRIPTIONS = {
    "SecretScope": (
        "listed = the function may rotate SecretArns only. any-secret-naming-this-function = the policy AWS's own "
        "rotation functions use: secretsmanager actions on every secret of the account and Region whose rotation "
        "names this function (condition secretsmanager:resource/AllowRotationLambdaArn), so attaching a new secret "
        "needs no redeploy."),
    "SecretArns": (
        "ARNs of the secrets this function may rotate (comma separated). A partial ARN can end in -?????? to match "
        "the random suffix. Leave empty only with SecretScope any-secret-naming-this-function."),
}
RULE_DESCRIPTIONS = {"SomethingToRotate": "Give SecretArns, or set SecretScope to any-secret-naming-this-function."}


def fail(message):
    print(f"sar-template: FAIL {message}", file=sys.stderr)
    sys.exit(1)


def names_removed(value):
    """Whether an intrinsic function's tree refers to a removed parameter or condition."""
    text = json.dumps(value)
    return any(f'"{name}"' in text for name in REMOVED_PARAMETERS + REMOVED_CONDITIONS)


def on_removed_condition(value):
    """The branches of an `Fn::If` on a removed condition, or None."""
    branches = value.get("Fn::If") if isinstance(value, dict) and len(value) == 1 else None
    return branches if isinstance(branches, list) and branches and branches[0] in REMOVED_CONDITIONS else None


def without_removed(value):
    """`value` with every `Fn::If` on a removed condition replaced by its else branch; in a list, one whose else
    branch is AWS::NoValue is dropped (as CloudFormation would drop it)."""
    if branches := on_removed_condition(value):
        return without_removed(branches[2])
    if isinstance(value, dict):
        return {key: without_removed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_removed(item) for item in value
                if not ((branches := on_removed_condition(item)) and branches[2] == {"Ref": "AWS::NoValue"})]
    return value


def variant(template):
    template = json.loads(json.dumps(template))  # plain dicts, lists and strings
    transform = template.get("Transform")
    if transform != ["AWS::LanguageExtensions", SAM]:
        fail(f"template.yaml's Transform is {transform!r}; this script expects LanguageExtensions then SAM")
    template["Transform"] = SAM
    template["Description"] = DESCRIPTION
    for section, names in (("Parameters", REMOVED_PARAMETERS), ("Conditions", REMOVED_CONDITIONS),
                           ("Resources", REMOVED_RESOURCES), ("Outputs", REMOVED_OUTPUTS)):
        for name in names:
            if name not in template.get(section, {}):
                fail(f"template.yaml has no {section} entry {name}: update scripts/sar_template.py")
            del template[section][name]
    for name, text in PARAMETER_DESCRIPTIONS.items():
        template["Parameters"][name]["Description"] = text
    for group in template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]:
        group["Parameters"] = [name for name in group["Parameters"] if name not in REMOVED_PARAMETERS]
    for name, rule in template.get("Rules", {}).items():
        for assertion in rule["Assertions"]:
            alternatives = assertion["Assert"].get("Fn::Or")
            if alternatives and names_removed(alternatives):
                kept = [item for item in alternatives if not names_removed(item)]
                assertion["Assert"] = {"Fn::Or": kept} if len(kept) > 1 else kept[0]
                assertion["AssertDescription"] = RULE_DESCRIPTIONS[name]
    return without_removed(template)


def check(template):
    text = json.dumps(template)
    if template.get("Transform") != SAM:
        fail(f"Transform is {template.get('Transform')!r}, not {SAM} alone")
    if "Fn::ForEach" in text:
        fail("Fn::ForEach is left (it needs AWS::LanguageExtensions)")
    for name in REMOVED_PARAMETERS + REMOVED_CONDITIONS + REMOVED_RESOURCES + REMOVED_OUTPUTS:
        if re.search(rf"\b{re.escape(name)}\b", text):
            fail(f"{name} was taken out but is still named")
    for name, resource in template["Resources"].items():
        if resource.get("Type") not in SUPPORTED:
            fail(f"resource {name} is a {resource.get('Type')}, not on SAR's supported list")
    application = template["Metadata"]["AWS::ServerlessRepo::Application"]
    limits = [
        ("Name", r"[a-zA-Z0-9\-]{1,140}"),
        ("Author", r"[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]|[a-z0-9]"),
        ("Description", r"(?s).{1,256}"),
        ("SemanticVersion", r"[0-9]+\.[0-9]+\.[0-9]+"),
        ("SpdxLicenseId", r"[A-Za-z0-9.\-+]+"),
    ]
    for field, pattern in limits:
        value = application.get(field)
        if not isinstance(value, str) or not re.fullmatch(pattern, value) or len(value) > 127 and field == "Author":
            fail(f"AWS::ServerlessRepo::Application {field} {value!r} is outside SAR's limits ({pattern})")
    labels = application.get("Labels", [])
    if len(labels) > 10 or not all(re.fullmatch(r"[a-zA-Z0-9+\-_:/@]{1,127}", label) for label in labels):
        fail(f"AWS::ServerlessRepo::Application Labels {labels!r}: at most 10, each [a-zA-Z0-9+-_:/@]{{1,127}}")
    return template


def main():
    if len(sys.argv) != 3:
        fail("usage: sar_template.py TEMPLATE OUTPUT")
    made = check(variant(cfn_yaml.load(sys.argv[1])))
    if sys.argv[2] != "-":
        with open(sys.argv[2], "w") as out:
            out.write("# The Serverless Application Repository's variant of template.yaml, made by "
                      "scripts/sar_template.py:\n# no AttachSecretArns and no CreateExampleSecret (they need "
                      "AWS::LanguageExtensions and AWS::SecretsManager types).\n")
            yaml.safe_dump(made, out, sort_keys=False, width=120, allow_unicode=True)
    print(f"sar-template: ok ({len(made['Resources'])} resources, {len(made['Parameters'])} parameters, "
          f"Transform {made['Transform']})")


if __name__ == "__main__":
    main()
