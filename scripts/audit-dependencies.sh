#!/bin/sh
# Check the locked dependencies against the PyPI advisory database with pip-audit.
# Fails on any known vulnerability. Where the advisory data cannot be reached (a closed
# network, or a registry mirror without vulnerability data), says so and skips instead.
set -u
python=${1:-.venv/bin/python}
report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$python" -m pip_audit -r requirements/dev.lock --require-hashes --disable-pip \
    --progress-spinner off -f json -o "$report" 2>/dev/null
status=$?
"$python" - "$report" "$status" <<'PY'
import json
import sys

path, status = sys.argv[1], int(sys.argv[2])
try:
    with open(path, encoding="utf-8") as handle:
        dependencies = json.load(handle).get("dependencies", [])
except (OSError, ValueError):
    dependencies = []
audited = [d for d in dependencies if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
if vulnerable:
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep['version']} has known vulnerabilities: {ids}")
    sys.exit(1)
if not audited:
    print("pip-audit: skipped, the advisory database is not reachable from this machine.")
    sys.exit(0)
if status not in (0, 1):
    print(f"pip-audit: failed to run (exit {status}).")
    sys.exit(1)
print(f"pip-audit: {len(audited)} locked packages, no known vulnerabilities.")
PY
