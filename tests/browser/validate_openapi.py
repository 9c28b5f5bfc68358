#!/usr/bin/python3
"""Validates the API answers the live browser test recorded (JSON lines of method, path,
status, body) against docs/openapi.yaml: each answer's path and method must be documented and
its body must match the schema of its status (or `default`). Needs Debian's python3-yaml and
python3-jsonschema; exit 77 (skip) without them.
    validate_openapi.py docs/openapi.yaml recorded.json
"""
import json
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)


def main():
    doc = yaml.safe_load(open(sys.argv[1]))
    recorded = json.load(open(sys.argv[2]))
    routes = []
    for template, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        routes.append((re.compile(pattern), template, item))
    failures, checked, seen = [], 0, set()
    for r in recorded:
        matches = [(t, item) for p, t, item in routes if p.match(r["path"])]
        # A literal segment beats a template one (trials.csv vs {id}).
        matches.sort(key=lambda m: m[0].count("{"))
        if not matches:
            failures.append(f"{r['method']} {r['path']}: not in the document")
            continue
        template, item = matches[0]
        op = item.get(r["method"].lower())
        if op is None:
            failures.append(f"{r['method']} {template}: method not documented")
            continue
        responses = op["responses"]
        response = responses.get(str(r["status"])) or responses.get("default")
        if response is None:
            failures.append(f"{r['method']} {template}: status {r['status']} not documented")
            continue
        if "$ref" in response:
            response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            failures.append(f"{r['method']} {template} {r['status']}: no JSON schema")
            continue
        wrapped = dict(schema)
        wrapped["components"] = doc["components"]
        try:
            jsonschema.Draft202012Validator(wrapped).validate(r["body"])
        except jsonschema.ValidationError as e:
            failures.append(f"{r['method']} {r['path']} {r['status']}: {e.message} at {list(e.absolute_path)}")
        checked += 1
        seen.add(f"{r['method']} {template} {r['status']}")
    for s in sorted(seen):
        print("ok -", s)
    for f in failures:
        print("FAIL -", f)
    print(f"{checked} answers checked against {sys.argv[1]}, {len(failures)} failures")
    if checked == 0:
        print("FAIL - nothing recorded")
        return 1
    return 1 if failures else 0


sys.exit(main())
