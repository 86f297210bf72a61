"""Print pyproject.toml's build-system requires, space-separated, for pip (none holds a space).

`make venv` installs them before an editable install without build
isolation, so the pins live in one place (pyproject.toml).
"""

import pathlib
import re

text = (pathlib.Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
block = re.search(r"^\[build-system\]\n(.*?)(?=^\[)", text, re.S | re.M)
requires = re.search(r"^requires\s*=\s*\[(.*?)\]", block.group(1) if block else "", re.S | re.M)
if not requires:
    raise SystemExit("pyproject.toml has no [build-system] requires")
print(" ".join(r for r in re.findall(r'"([^"]+)"', requires.group(1))))
