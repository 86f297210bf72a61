"""template-zip.yaml, the zip-and-layer deploy: cfn-lint clean, and the same handlers as the image's template.

make lambda-zip / lambda-layer build the files it names (tests/test_wheels.py runs them under RIE).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str
from test_template import cfn_lint

# Seconds each (cfn-lint runs): make test runs them, make test-fast does not.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ZIP_TEMPLATE = ROOT / "template-zip.yaml"


def load(path: Path) -> dict[str, Any]:
    decoded, errors = decode_str(path.read_text())
    assert not errors and decoded is not None
    return decoded


def test_cfn_lint_finds_nothing() -> None:
    proc = cfn_lint(ZIP_TEMPLATE)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_cfn_lint_rejects_a_broken_copy(tmp_path: Path) -> None:
    broken = tmp_path / "template-zip.yaml"
    text = ZIP_TEMPLATE.read_text()
    assert "Handler: fastfib.handlers.raw\n" in text
    broken.write_text(text.replace("Handler: fastfib.handlers.raw\n", "Handler: fastfib.handlers.raw\n      Bogus: 1\n", 1))
    proc = cfn_lint(broken)
    assert proc.returncode != 0 and "E3002" in proc.stdout, proc.stdout


def test_same_handlers_as_the_image_and_the_files_make_builds() -> None:
    image, zipped = load(ROOT / "template.yaml"), load(ZIP_TEMPLATE)
    image_handlers = sorted(r["Properties"]["ImageConfig"]["Command"][0] for r in image["Resources"].values()
                            if r["Type"] == "AWS::Serverless::Function")  # fmt: skip
    functions = {k: r["Properties"] for k, r in zipped["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert sorted(f["Handler"] for f in functions.values()) == image_handlers
    makefile = (ROOT / "Makefile").read_text()
    py = re.search(r"^LAMBDA_PYTHON \?= (\S+)$", makefile, re.M).group(1)  # type: ignore[union-attr]
    runtime = zipped["Globals"]["Function"]["Runtime"]
    assert runtime == f"python{py}"
    arch = zipped["Globals"]["Function"]["Architectures"][0]
    assert functions["FibRawZipFunction"]["CodeUri"] == f"dist/fastfib-lambda-py{py}-{arch}.zip"
    layer = zipped["Resources"]["FastfibLayer"]["Properties"]
    assert layer["ContentUri"] == f"dist/fastfib-layer-py{py}-{arch}.zip"
    assert layer["CompatibleRuntimes"] == [runtime] and layer["CompatibleArchitectures"] == [arch]
    assert functions["FibApiLayerFunction"]["Layers"] == [{"Ref": "FastfibLayer"}]
    # The zip-packaged functions keep the image's limits and settings.
    for key in ("MaxN", "MemorySize", "Timeout"):
        assert zipped["Parameters"][key] == {**image["Parameters"][key], "Description": zipped["Parameters"][key]["Description"]}
