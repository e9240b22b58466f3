#!/usr/bin/env python3
"""Rewrites the status lists in man/tock.conf.5 from src/conf/directives.c (run after
flipping a directive from planned to active; tests/unit/test_conf_files.c checks them)."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[1]
table = (root / "src/conf/directives.c").read_text()
man_path = root / "man/tock.conf.5"
man = man_path.read_text()
active = sorted(re.findall(r'\{"([a-z_0-9]+)", ACTIVE,', table))
planned = sorted(re.findall(r'\{"([a-z_0-9]+)", PLANNED,', table))
man = re.sub(r"(\n\.B active\n)[^\n]*\n", lambda m: m.group(1) + ", ".join(active) + ".\n", man)
man = re.sub(r"(\n\.B planned\n)[^\n]*\n", lambda m: m.group(1) + ", ".join(planned) + ".\n", man)
man_path.write_text(man)
