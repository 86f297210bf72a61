"""The README's Python examples run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import fastfib

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README block {i}", str(README), 0))
    assert runner.summarize(verbose=False).failed == 0


def test_package_docstring_examples() -> None:
    assert doctest.testmod(fastfib, optionflags=doctest.ELLIPSIS).failed == 0
