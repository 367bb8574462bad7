#!/usr/bin/env python3
"""Compare two SecretStrings the way an application reading them with Python's json module would.

Reads {"before": "<SecretString>", "after": "<SecretString>", "key": "<rotated key>"} on stdin and prints one of
  {"verdict": "unchanged"}         the same text
  {"verdict": "only-key-changed"}  both load as JSON objects with the same keys in the same order and the same
                                   values (compared as json.dumps writes them, so NaN equals NaN), except `key`,
                                   which is a string in both and differs
  {"verdict": "other", "why": "..."}
The values themselves are never printed.
"""
import json
import sys


def main():
    request = json.load(sys.stdin)
    before, after, key = request["before"], request["after"], request["key"]
    if before == after:
        return {"verdict": "unchanged"}
    try:
        old, new = json.loads(before), json.loads(after)
    except ValueError as error:
        return {"verdict": "other", "why": f"not both JSON: {type(error).__name__}"}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return {"verdict": "other", "why": "not both objects"}
    if list(old) != list(new):
        return {"verdict": "other", "why": f"keys differ: {list(old)} vs {list(new)}"}
    for name in old:
        if name == key:
            continue
        if json.dumps(old[name]) != json.dumps(new[name]) or type(old[name]) is not type(new[name]):
            return {"verdict": "other", "why": f"value of {name!r} changed"}
    if not isinstance(old.get(key), str) or not isinstance(new.get(key), str) or old[key] == new[key]:
        return {"verdict": "other", "why": f"{key!r} was not rotated as a string"}
    return {"verdict": "only-key-changed"}


json.dump(main(), sys.stdout)
