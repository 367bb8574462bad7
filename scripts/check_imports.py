#!/usr/bin/env python3
"""Checks that every target's declared dependencies are exactly the modules its sources import (run by make test).

SwiftPM's own `--explicit-target-dependency-import-check error` catches an import that is not declared; this
catches the other half too: a declared dependency that nothing imports (an edge in the module graph that does not
exist in the code). Product dependencies count by their module names (swift-log's `Logging`, ...). Modules of the
toolchain and the system (Foundation, Glibc, Testing, ...) are not dependencies and are ignored.
"""
import json
import os
import re
import subprocess
import sys

SYSTEM = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
          "Synchronization", "Testing", "XCTest", "PackageDescription", "_Concurrency"}
# Product name -> module name, for the package dependencies.
PRODUCT_MODULES = {"Logging": "Logging", "ArgumentParser": "ArgumentParser"}

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, capture_output=True, text=True,
                                    check=True).stdout)
problems = []
for target in package["targets"]:
    if target["type"] == "system":
        continue
    name = target["name"]
    declared = set()
    for dependency in target.get("dependencies", []):
        kind, value = next(iter(dependency.items()))
        declared.add(value[0] if kind in ("byName", "target") else PRODUCT_MODULES.get(value[0], value[0]))
    folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
    imported = set()
    for directory, _, files in os.walk(os.path.join(root, folder)):
        for file in files:
            if file.endswith(".swift"):
                with open(os.path.join(directory, file)) as handle:
                    imported |= set(re.findall(r"^\s*(?:@_exported\s+|@testable\s+)?import\s+(\w+)", handle.read(), re.M))
    imported -= SYSTEM
    for missing in sorted(imported - declared):
        problems.append(f"{name} imports {missing} but does not declare it")
    for unused in sorted(declared - imported):
        problems.append(f"{name} declares {unused} but imports nothing of it")
for line in problems:
    print(f"check-imports: {line}")
if problems:
    sys.exit(1)
print(f"check-imports: ok ({len(package['targets'])} targets: declared dependencies = imports)")
