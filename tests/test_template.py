"""template.yaml, the SAM template: cfn-lint (pinned in the test extras) finds nothing, and it says what the README says.

No Docker needed: tests/test_sam.py serves the same template with sam local.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from fastfib.limits import DEFAULT_MAX_N, ENV_VAR, largest_max_n

# Seconds each (cfn-lint runs): make test runs them, make test-fast does not.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    # Every rule, warnings included (cfn-lint exits 4 on a warning, 2 on an error).
    return subprocess.run([CFN_LINT, "--format", "parseable", str(path)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, errors = decode_str(TEMPLATE.read_text())
    assert not errors and decoded is not None
    return decoded


def test_cfn_lint_finds_no_error_and_no_warning() -> None:
    proc = cfn_lint(TEMPLATE)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "old, new, rule",
    [
        ("Default: x86_64", "Default: sparc", "E2015"),  # a default outside AllowedValues
        ("Method: GET", "Method: GET\n            Bogus: 1", "E3002"),  # an unknown event property
        ("Globals:", "Mappings:\n  Unused:\n    a:\n      b: c\n\nGlobals:", "W7001"),  # a warning fails too
    ],
)
def test_cfn_lint_rejects_a_broken_copy(tmp_path: Path, old: str, new: str, rule: str) -> None:
    text = TEMPLATE.read_text()
    assert old in text
    broken = tmp_path / "template.yaml"
    broken.write_text(text.replace(old, new, 1))
    proc = cfn_lint(broken)
    assert proc.returncode != 0 and rule in proc.stdout, proc.stdout


def test_two_functions_from_one_image(template: dict[str, Any]) -> None:
    functions = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert {k: v["Properties"]["ImageConfig"]["Command"] for k, v in functions.items()} == {
        "FibRawFunction": ["fastfib.handlers.raw"],
        "FibApiFunction": ["fastfib.handlers.apigw"],
    }
    for f in functions.values():
        assert f["Properties"]["PackageType"] == "Image"
        assert f["Properties"]["ImageUri"] == {"Ref": "ImageUri"}
        # sam build and sam deploy use the Lambda image, never the debug one.
        assert f["Metadata"] == {"Dockerfile": "Dockerfile", "DockerContext": ".", "DockerBuildTarget": "lambda",
                                 "DockerTag": "latest"}  # fmt: skip
    events = functions["FibApiFunction"]["Properties"]["Events"].values()
    assert {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events} == {("GET", "/fib/{n}"), ("ANY", "/fib")}
    assert all(e["Type"] == "HttpApi" for e in events)
    assert "Events" not in functions["FibRawFunction"]["Properties"]


def test_settings_come_from_parameters(template: dict[str, Any]) -> None:
    params, function = template["Parameters"], template["Globals"]["Function"]
    assert params["Architecture"]["AllowedValues"] == ["x86_64", "arm64"] and params["Architecture"]["Default"] == "x86_64"
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    assert function["MemorySize"] == {"Ref": "MemorySize"} and function["Timeout"] == {"Ref": "Timeout"}
    # tests/test_rie.py holds the worst 6 MB event's peak under 400 MiB
    assert params["MemorySize"]["MinValue"] == params["MemorySize"]["Default"] == 512
    assert function["Environment"]["Variables"] == {ENV_VAR: {"Ref": "MaxN"}}
    assert params["MaxN"]["Default"] == DEFAULT_MAX_N  # the handler's own default
    assert params["MaxN"]["MaxValue"] == largest_max_n()  # a larger value would stop the start-up
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["LoggingConfig"]["ApplicationLogLevel"] == {"Ref": "LogLevel"}
    assert "ApiUrl" in template["Outputs"]
    assert "${ServerlessHttpApi}" in template["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"]
