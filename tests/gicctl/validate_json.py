#!/usr/bin/python3
"""Validates a JSON document against a gicctl JSON Schema (Draft 2020-12).

usage: validate_json.py SCHEMA.json DOCUMENT.json
Exit 0 if valid; 1 with every violation printed otherwise.  Uses Debian's
python3-jsonschema.
"""
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print("%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
