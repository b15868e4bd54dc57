#!/usr/bin/env python3
"""Rewrites the fenced blocks of docs/cli.md with the current `--help` output.

Each section `## stdp` / `## stdp <command>` is followed by a ```text block
holding `stdp [<command>] --help`; text outside the blocks is kept. Usage:

    python3 scripts/cli_doc.py [path/to/stdp]   # default: the release build

(`tests/cli.rs::docs_cli_md_is_the_help_of_every_command` checks the blocks.)
"""
import os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/stdp-target"))
exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "release", "stdp")
path = os.path.join(root, "docs", "cli.md")
lines = open(path).read().split("\n")
out, i = [], 0
while i < len(lines):
    line = lines[i]
    out.append(line)
    m = re.fullmatch(r"## stdp( [a-z-]+)?", line.rstrip())
    i += 1
    if not m:
        continue
    while i < len(lines) and not lines[i].startswith("```") and not lines[i].startswith("## "):
        out.append(lines[i])
        i += 1
    if i < len(lines) and lines[i].startswith("```"):
        args = ([m.group(1).strip()] if m.group(1) else []) + ["--help"]
        text = subprocess.run([exe] + args, capture_output=True, text=True, check=True).stdout
        text = text.replace(os.path.basename(exe), "stdp").rstrip("\n")
        out.append("```text")
        out.extend(l.rstrip() for l in text.split("\n"))
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            i += 1
        out.append("```")
        i += 1
open(path, "w").write("\n".join(out))
