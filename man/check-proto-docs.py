#!/usr/bin/env python3
"""The docs suite: every message, field, oneof and enum value of the given
.proto files is named in the given page (as `name`, in backquotes).

usage: check-proto-docs.py PAGE.md FILE.proto...
"""
import os
import re
import sys


def names(proto):
    """(kind, qualified name, bare name) of everything a reader needs."""
    text = re.sub(r'//[^\n]*', '', open(proto, encoding='utf-8').read())
    out = []
    stack = []
    for tok in re.finditer(r'(message|enum|oneof)\s+(\w+)\s*\{|\}|'
                           r'(?:repeated\s+|optional\s+)?(\w[\w.]*(?:<[\w., ]+>)?)\s+(\w+)\s*=\s*\d+\s*;|'
                           r'(\w+)\s*=\s*-?\d+\s*;', text):
        kind, name, ftype, fname, evalue = tok.groups()
        if kind:
            stack.append((kind, name))
            if kind != 'oneof':
                out.append((kind, '.'.join(n for _, n in stack), name))
            else:
                out.append(('oneof', '.'.join(n for _, n in stack), name))
        elif tok.group(0) == '}':
            if stack:
                stack.pop()
        elif fname:
            owner = '.'.join(n for k, n in stack if k != 'oneof')
            out.append(('field', owner + '.' + fname, fname))
        elif evalue:
            owner = '.'.join(n for _, n in stack)
            out.append(('enum value', owner + '.' + evalue, evalue))
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    page = open(sys.argv[1], encoding='utf-8').read()
    quoted = set(re.findall(r'`([^`]+)`', page))
    # Words inside backquoted spans: `Welcome{OK, applied_seq = 0}` names both.
    words = set()
    for q in quoted:
        words.update(re.findall(r'\w+', q))
    missing = []
    for proto in sys.argv[2:]:
        for kind, qual, bare in names(proto):
            if bare not in words:
                missing.append(f'{os.path.normpath(proto)}: {kind} {qual}')
    if missing:
        print(f'{sys.argv[1]} does not name (in `backquotes`):', file=sys.stderr)
        for m in missing:
            print('  ' + m, file=sys.stderr)
        return 1
    print(f'ok: {sys.argv[1]} names everything in {len(sys.argv) - 2} .proto files')
    return 0


if __name__ == '__main__':
    sys.exit(main())
