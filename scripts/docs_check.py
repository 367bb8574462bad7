#!/usr/bin/env python3
"""make docs-check: the docs keep up with the code.

  - every environment variable the shipped code reads (AWS_*, ROTATOR_*, the templates' password variables, …) is in
    docs/reference/configuration.md;
  - every parameter of template.yaml is in docs/deployment.md;
  - every errorType the function reports (Rotation.*, Runtime.*, Target.*, and each SecretsManager code) is in
    docs/reference/errors.md;
  - every relative link in README.md, CONTRIBUTING.md, SECURITY.md, CHANGELOG.md and docs/ names a file that exists,
    and a heading in it when it names one;
  - in the docs' shell blocks, every `make` target exists and every `rotator` command and option is the built
    command line's (`rotator <command> --help`);
  - the version in Sources/rotator/RotatorVersion.swift is template.yaml's SemanticVersion and CHANGELOG.md's newest
    release.
Prints one line per problem and exits 1 if there is any.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# --version-only: just the one-version check (make release runs it before building, with no rotator built yet).
VERSION_ONLY = sys.argv[1:] == ["--version-only"]
# Test infrastructure and benchmarks read variables of their own; they are not the product's configuration.
NOT_SHIPPED = {"TestSupport", "DatabaseTestKit", "TestTags", "FakeRuntimeAPIServer", "PackageTestFixture",
               "RotatorBench", "LambdaEcho"}
VARIABLE = re.compile(r'"((?:AWS|ROTATOR|PASSWORD|EXCLUDE|REQUIRE|USERNAME|SECRETS_MANAGER|LAMBDA)_[A-Z0-9_]+)"')
problems = []


def shipped_sources():
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        if path.relative_to(ROOT / "Sources").parts[0] not in NOT_SHIPPED:
            yield path


def text(relative):
    return (ROOT / relative).read_text()


def code(path):
    """A source file without its comment lines (a comment may name an example, not something the code does)."""
    return "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("//"))


def shell_lines(page):
    """(line number, line) of each line inside the page's sh/bash blocks, fences indented in lists included."""
    in_shell = False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_shell = line.strip() in ("```sh", "```bash")
            continue
        if in_shell:
            yield number, line


def shell_commands(page):
    """(line number, command) of the page's shell commands, continuation lines joined, comments dropped."""
    start, pending = None, ""
    for number, line in shell_lines(page):
        part = line.split(" #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        start = start or number
        if part.endswith("\\"):
            pending += part[:-1] + " "
            continue
        yield start, (pending + part).strip()
        start, pending = None, ""


template = text("template.yaml")
variables, parameters, reported, pages, commands_checked = set(), [], set(), [], 0
if not VERSION_ONLY:
    # Environment variables.
    configuration = text("docs/reference/configuration.md")
    variables = set()
    for path in shipped_sources():
        variables |= set(VARIABLE.findall(code(path)))
    for variable in sorted(variables):
        if f"`{variable}`" not in configuration:
            problems.append(f"environment variable {variable} (read in Sources) is not in docs/reference/configuration.md")

    # Template parameters: the keys of the Parameters mapping.
    section = re.search(r"^Parameters:\n(.*?)^\S", template, re.MULTILINE | re.DOTALL)
    parameters = re.findall(r"^  ([A-Za-z0-9]+):\s*$", section.group(1), re.MULTILINE) if section else []
    deployment = text("docs/deployment.md")
    if not parameters:
        problems.append("template.yaml: no Parameters found")
    for parameter in parameters:
        if f"`{parameter}`" not in deployment:
            problems.append(f"template parameter {parameter} is not in docs/deployment.md")
    # Each allowed value of a parameter (other than true/false and numbers) is in the table row that names it.
    allowed = re.findall(r"^  ([A-Za-z0-9]+):\n(?:    .*\n)*?    AllowedValues: \[(.*)\]", section.group(1) if section else "",
                         re.MULTILINE)
    for parameter, values in allowed:
        row = next((line for line in deployment.splitlines() if line.startswith("| ") and f"`{parameter}`" in line), "")
        for value in (value.strip().strip('"') for value in values.split(",")):
            if value not in ("true", "false") and not value.isdigit() and f"`{value}`" not in row:
                problems.append(f"docs/deployment.md: the row of {parameter} does not name its allowed value {value}")

    # Error types.
    errors = text("docs/reference/errors.md")
    reported = set()
    for path in shipped_sources():
        source = code(path)
        reported |= set(re.findall(r'"((?:Rotation|Runtime|Target)\.[A-Za-z]+)"', source))
        reported |= {f"Target.{code}" for code in re.findall(r'TargetErrorCode\("([A-Za-z]+)"\)', source)
                     if code != "InvalidSecret"}  # reported as Rotation.InvalidSecret
        reported |= {f"SecretsManager.{code}" for code in re.findall(r'"SecretsManager\.([A-Za-z]+)"', source)}
    for error_type in sorted(reported):
        family, code = error_type.split(".", 1)
        documented = f"`{error_type}`" in errors or (family == "SecretsManager" and f"`{code}`" in errors)
        if not documented:
            problems.append(f"errorType {error_type} is not in docs/reference/errors.md")

    def anchors(page):
        """GitHub's anchors for a page's headings: lowercase, punctuation dropped, spaces to hyphens."""
        found, in_code = set(), False
        for line in page.read_text().splitlines():
            if line.lstrip().startswith("```"):
                in_code = not in_code
            if not in_code and line.startswith("#"):
                title = line.lstrip("#").strip().lower()
                found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
        return found


    # Links between the docs.
    pages = [ROOT / name for name in ("README.md", "CONTRIBUTING.md", "SECURITY.md", "CHANGELOG.md")]
    pages += sorted((ROOT / "docs").rglob("*.md"))
    for page in pages:
        in_code = False
        for number, line in enumerate(page.read_text().splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if re.match(r"^[a-z]+:", target):
                    continue
                path, _, anchor = target.partition("#")
                resolved = (page.parent / path).resolve() if path else page
                if not resolved.exists():
                    problems.append(f"{page.relative_to(ROOT)}:{number}: link to {target}, which does not exist")
                elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                    problems.append(f"{page.relative_to(ROOT)}:{number}: link to {target}, which has no such heading")

    # Commands in the docs' shell blocks: each `make` target exists, and each `rotator` command and option is one the
    # built command line has (its --help; the binary comes from `make swift-test`, which runs before this check).
    makefile = text("Makefile")
    rotator = ROOT / ".build" / "debug" / "rotator"
    helps = {}


    def rotator_help(subcommand):
        if subcommand not in helps:
            import subprocess
            run = subprocess.run([str(rotator), subcommand, "--help"], capture_output=True, text=True)
            helps[subcommand] = run.stdout if run.returncode == 0 else None
        return helps[subcommand]


    commands_checked = 0
    for page in pages:
        for number, line in shell_lines(page):
            command = line.split("#", 1)[0].strip()
            where = f"{page.relative_to(ROOT)}:{number}"
            for target in re.findall(r"(?:^|&&\s*|;\s*|\s)make ([a-z][a-z0-9-]*)", command):
                commands_checked += 1
                if not re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE):
                    problems.append(f"{where}: `make {target}`: no such target in the Makefile")
            match = re.match(r"^(?:\S+=\S+\s+)*rotator\s+([a-z-]+)(.*)$", command)
            if match:
                commands_checked += 1
                if not rotator.exists():
                    problems.append(f"{where}: cannot check `rotator {match.group(1)}`: build the command line first")
                    continue
                usage = rotator_help(match.group(1))
                if usage is None:
                    problems.append(f"{where}: `rotator {match.group(1)}` is not a command of the command line")
                    continue
                for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", match.group(2)):
                    if option not in usage:
                        problems.append(f"{where}: `rotator {match.group(1)}` has no option {option}")

    # `sam deploy --parameter-overrides`: every Name= is a parameter of the template.
    for page in pages:
        for number, command in shell_commands(page):
            if not command.startswith("sam deploy") or "--parameter-overrides" not in command:
                continue
            commands_checked += 1
            for word in command.split("--parameter-overrides", 1)[1].split():
                if word.startswith("--"):
                    break
                name = re.match(r"^([A-Za-z0-9]+)=", word)
                if name and name.group(1) not in parameters:
                    problems.append(f"{page.relative_to(ROOT)}:{number}: `sam deploy` sets {name.group(1)}, which "
                                    "is not a parameter of template.yaml")

    # Blocks marked `<!-- docs-test: NAME -->` run in a DocsWalkthrough test: each marker sits right above a shell
    # block, once per name, on a page such a test names.
    walkthrough = "\n".join(path.read_text() for path in sorted((ROOT / "Tests").rglob("*.swift"))
                            if "DocsWalkthrough(" in path.read_text())
    for page in pages:
        lines, names = page.read_text().splitlines(), set()
        for number, line in enumerate(lines, 1):
            marker = re.fullmatch(r"\s*<!-- docs-test: ([a-z-]+) -->\s*", line)
            if not marker:
                continue
            where, name = f"{page.relative_to(ROOT)}:{number}", marker.group(1)
            following = next((later.strip() for later in lines[number:] if later.strip()), "")
            if following not in ("```sh", "```bash"):
                problems.append(f"{where}: the docs-test marker {name} is not followed by a sh block")
            if name in names:
                problems.append(f"{where}: a second docs-test block named {name}")
            names.add(name)
            if f'"{page.relative_to(ROOT)}"' not in walkthrough:
                problems.append(f"{where}: no DocsWalkthrough test runs this page's docs-test blocks")

# One version.
code_version = re.search(r'static let current = "([^"]+)"', text("Sources/rotator/RotatorVersion.swift")).group(1)
template_version = re.search(r"SemanticVersion:\s*([0-9][^\s]*)", template)
changelog_version = re.search(r"^## \[([0-9][^\]]*)\]", text("CHANGELOG.md"), re.MULTILINE)
if not template_version or template_version.group(1) != code_version:
    problems.append(f"template.yaml SemanticVersion is not {code_version} (RotatorVersion.current)")
if not changelog_version or changelog_version.group(1) != code_version:
    problems.append(f"CHANGELOG.md's newest release is not {code_version} (RotatorVersion.current)")
# The release's file names and the version the pages tell readers to use (the changelog keeps its history).
for page in (page for page in pages if page.name != "CHANGELOG.md"):
    for number, line in enumerate(page.read_text().splitlines(), 1):
        for named in re.findall(r"(?:rotator-(?:lambda-)?|template-|VERSION=|Version )v?([0-9]+\.[0-9]+\.[0-9]+)", line):
            if named != code_version:
                problems.append(f"{page.relative_to(ROOT)}:{number}: names version {named}, not {code_version} "
                                "(RotatorVersion.current)")

for problem in problems:
    print(f"docs-check: FAIL {problem}")
if problems:
    sys.exit(1)
if VERSION_ONLY:
    print(f"docs-check: ok (version {code_version})")
    sys.exit(0)
print(f"docs-check: ok ({len(variables)} variables, {len(parameters)} parameters, {len(reported)} error types, "
      f"{len(pages)} pages' links, {commands_checked} commands, version {code_version})")
