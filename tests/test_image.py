"""The container images, built for real with docker and run under RIE.

The session builds the local stand-in bases (make offline-bases), then the
Lambda image, the image without its bytecode layer, the slim image, and
their RIE test images, exactly as a user would with make.  Every handler
case of test_rie.py that takes the ``raw_rie``, ``apigw_rie`` or ``start_rie`` fixture runs
again here in a container of each image, fastfib:latest and fastfib:slim;
the fastfib:latest containers run under tools/audit_run.py, and the last test
checks that the slim image holds every file they opened.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import pytest
import test_rie
from containers import (
    ContainerRie,
    built_images,
    docker,
    image_entries,
    image_files,
    image_size,
    layers,
    resolve_in,
)
from rie import make_serve_and_invoke

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docker"))
from trace_files import LEFT_OUT  # noqa: E402  (modules the slim image leaves out on purpose)

EVENTS = ROOT / "events"
FINAL, NOBYTECODE, TEST_IMAGE = "fastfib:latest", "fastfib:nobytecode", "testfastfib:latest"
SLIM, SLIM_TEST_IMAGE = "fastfib:slim", "testfastfib:slim"
AUDIT_RUN = ROOT / "tools" / "audit_run.py"
AUDIT = ["/usr/bin/python3", "/opt/audit/audit_run.py"]
MB = 1_000_000

_VIRTUAL = ("/proc/", "/dev/", "/sys/", "/tmp/", "/opt/audit/")
_CACHED_PYC = re.compile(r"^(?P<dir>.*)/__pycache__/(?P<stem>[^/.]+)\.[\w-]+(\.opt-\d)?\.pyc$")
_OPENED = """
import os
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        argv = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\\0')
        if len(argv) > 1 and argv[1].endswith(b'audit_run.py'):  # the runtime, not RIE around it
            for line in open(f'/proc/{pid}/maps'):
                fields = line.split()
                if len(fields) >= 6 and fields[5].startswith('/'):
                    print(fields[5])
    except OSError:
        pass
if os.path.exists('/tmp/audit.log'):  # not before the first invocation starts the runtime
    print(open('/tmp/audit.log').read())
"""


pytestmark = pytest.mark.docker


@dataclass(frozen=True)
class Variant:
    name: str
    image: str
    test_image: str
    audited: bool  # its handler containers run under tools/audit_run.py


VARIANTS = {
    "latest": Variant("latest", FINAL, TEST_IMAGE, audited=True),
    "slim": Variant("slim", SLIM, SLIM_TEST_IMAGE, audited=False),
}


@pytest.fixture(scope="session")
def images() -> list[str]:
    return list(built_images())


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request: pytest.FixtureRequest, images: list[str]) -> Variant:
    return VARIANTS[request.param]


class AuditedContainer(ContainerRie):
    """A container whose runtime runs under tools/audit_run.py; what it opened is kept in OPENED when it stops."""

    def __init__(self, image: str, handler: str, env: dict[str, str] | None = None) -> None:
        super().__init__(image, handler, mounts=[f"{AUDIT_RUN}:/opt/audit/audit_run.py:ro"], env=env, runtime=AUDIT)

    def opened(self) -> set[str]:
        """Files the audited runtime opened, and the files it has mapped now (shared libraries)."""
        return {p for p in self.exec("/usr/bin/python3", "-c", _OPENED).splitlines() if p}

    def stop(self) -> None:
        try:
            OPENED.update(self.opened())
        finally:
            super().stop()


OPENED: set[str] = set()  # by the audited containers stopped so far


def _handler_container(variant: Variant, handler: str, env: dict[str, str] | None = None) -> ContainerRie:
    if variant.audited:
        return AuditedContainer(variant.test_image, handler, env)
    return ContainerRie(variant.test_image, handler, env=env)


@pytest.fixture(scope="module")
def start_rie(variant: Variant) -> Callable[..., ContainerRie]:
    """test_rie.py's way to start a runtime under RIE, here a container of the image: ``start_rie(handler, env=None)``."""
    return partial(_handler_container, variant)


@pytest.fixture(scope="module")
def raw_rie(start_rie: Callable[..., ContainerRie]) -> Iterator[ContainerRie]:
    with start_rie("fastfib.handlers.raw") as c:
        yield c


@pytest.fixture(scope="module")
def apigw_rie(start_rie: Callable[..., ContainerRie]) -> Iterator[ContainerRie]:
    with start_rie("fastfib.handlers.apigw") as c:
        yield c


# The handler cases of test_rie.py, collected here too: pytest runs a test
# function in every module that imports it, with that module's fixtures, so
# each case runs again once per image (the variant fixture), its runtimes
# started by the fixtures above instead of on the host.
from test_rie import (  # noqa: E402, F401  (imported to be collected)
    test_bad_http_input_then_still_serving,
    test_bad_max_n_stops_start_up,
    test_bad_query_path_and_base64_then_still_serving,
    test_bad_raw_input_then_still_serving,
    test_every_proxy_shape,
    test_hostile_proxy_event_gets_a_short_answer_then_still_serving,
    test_hostile_raw_event_is_served_then_still_serving,
    test_ignored_huge_integers_cost_nothing_in_a_body,
    test_init_duration_is_reported,
    test_json_log_format_gives_one_object_per_invocation,
    test_largest_allowed_n_comes_back_whole,
    test_non_proxy_event_then_still_serving,
    test_raw_event_nested_too_deeply_is_refused_by_the_runtime_then_still_serving,
    test_raw_n_past_pythons_int_digit_limit_then_still_serving,
    test_refused_large_events_do_not_pile_up_in_memory,
    test_seed_examples_byte_for_byte,
    test_text_log_format_is_one_line_per_invocation,
    test_the_most_memory_hungry_6mb_events_fit_the_templates_minimum,
    test_thousand_invocations_without_failure_or_growth,
    test_values,
    test_warn_log_level_silences_the_record,
)


def test_every_rie_case_of_test_rie_runs_in_the_images() -> None:
    started_by_fixture = {
        name for name, case in vars(test_rie).items()
        if name.startswith("test_") and {"raw_rie", "apigw_rie", "start_rie"} & set(inspect.signature(case).parameters)
    }  # fmt: skip
    here = {name for name, value in globals().items() if value is getattr(test_rie, name, None)}
    assert len(started_by_fixture) >= 20 and started_by_fixture <= here, sorted(started_by_fixture - here)


def test_image_computes_on_the_ntt_path(variant: Variant) -> None:
    code = (
        "import fastfib, gmpy2; n = 300_007\n"
        "print(fastfib.backend(), fastfib.fib_digits(n) == gmpy2.digits(gmpy2.fib(n)).encode())"
    )
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--read-only", "--entrypoint", "/usr/bin/python3",
         variant.image, "-c", code],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["ntt", "True"]


def test_image_holds_only_the_runtime(variant: Variant) -> None:
    modes = image_files(variant.image)
    files = sorted(modes)
    names = set(files)
    assert not names & {"bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "bin/dash", "usr/bin/dash"}
    assert not [f for f in files if re.search(r"(^|/)(pip|Cython|setuptools)/__init__\.pyc?$", f)]
    assert not [f for f in files if re.search(r"^(usr/)?(local/)?s?bin/(gcc|cc|c\+\+|g\+\+|\S*-gcc[-0-9]*|ld|as|cython)$", f)]
    assert not [f for f in files if f.endswith((".pyx", ".c", ".h", ".pxd"))]
    assert not [f for f in files if re.search(r"^(usr/)?s?bin/(dpkg|apt|apt-get|pip3?)$", f)]
    assert any(f.startswith("var/task/fastfib/_core.") and f.endswith(".so") for f in files)
    assert names & {"var/task/fastfib/handlers.py", "var/task/fastfib/handlers.pyc"}  # sourceless in slim
    assert not [f for f in files if f.startswith("home/nonroot/")]
    # Ours: what the Dockerfile adds (slim: everything).
    ours = [f for f in files if variant.name == "slim" or f.startswith("var/task/") or "__pycache__" in f]
    assert len(ours) > 100
    unreadable = [f for f in ours if not modes[f] & 0o004]
    assert unreadable == [], "every file must be readable by any user"


def test_image_config_and_user(variant: Variant) -> None:
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", variant.image))
    assert config["Entrypoint"] == ["/usr/bin/python3", "-m", "awslambdaric"]
    assert config["Cmd"] == ["fastfib.handlers.raw"]
    assert config["User"] in ("65532", "65532:65532")
    code = (
        "import os, fastfib\n"
        "libs = {os.path.realpath(l.split()[-1]) for l in open('/proc/self/maps') if 'libgmp' in l}\n"
        "print(os.getuid(), os.getgid(), fastfib.fib(100), len(libs))"
    )
    out = docker("run", "--rm", "--network", "host", "--read-only", "--entrypoint", "/usr/bin/python3", variant.image,
                 "-c", code)  # fmt: skip
    assert out.split() == ["65532", "65532", "354224848179261915075", "1"]  # one libgmp, stripped or not


def test_memory_limit_of_the_container_is_respected(variant: Variant) -> None:
    # A result that cannot fit raises OverflowError at once instead of being
    # OOM-killed, and the largest n allowed still completes, digits included.
    code = (
        "import fastfib, fastfib._memory as a\n"
        "try:\n    fastfib.fib(3 * 10**9)\nexcept OverflowError as e:\n    print('refused:', e)\n"
        "print(len(fastfib.fib_digits(a.MAX_INDEX)), a.MAX_INDEX, a.MEMORY_LIMIT_BYTES >> 20)\n"
    )
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "host", "--memory", "128m", "--memory-swap", "128m", "--read-only",
         "--entrypoint", "/usr/bin/python3", variant.image, "-c", code],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    refused, sizes = proc.stdout.splitlines()
    # the limit on |n| follows the container's memory, and the message does not reveal that memory's size
    assert refused.startswith("refused: n=3000000000 is too large") and "must be at most" in refused and "128 MiB" not in refused
    digits, max_index, limit_mib = map(int, sizes.split())
    assert limit_mib == 128 and max_index > 10**7
    # F(n) has floor(n log10(phi) - log10(sqrt 5)) + 1 digits
    assert abs(digits - (int(max_index * 0.20898764024997873 - 0.3494850021680094) + 1)) <= 1


def test_size_report(images: list[str], report) -> None:
    runtime_base = next(a.split("=", 1)[1] for a in images if a.startswith("RUNTIME_IMAGE="))
    base, final, nobc = image_size(runtime_base), image_size(FINAL), image_size(NOBYTECODE)
    history = layers(FINAL)
    base_layers = len(layers(runtime_base))
    added = history[: len(history) - base_layers]
    added_bytes = sum(size for _, size in added)
    bytecode_layer = final - nobc
    lines = [
        f"runtime base ({runtime_base}): {base / MB:.1f} MB",
        f"final image {FINAL}: {final / MB:.1f} MB",
        f"layers added on top of the base: {added_bytes / MB:.2f} MB, "
        f"of which the stdlib bytecode layer {bytecode_layer / MB:.2f} MB",
        *(f"  {size / MB:8.2f} MB  {created[:90]}" for created, size in added if size),
    ]
    slim = image_size(SLIM)
    lines.append(f"slim image {SLIM} (FROM scratch): {slim / MB:.1f} MB")
    report("Image sizes", "\n".join(lines))
    assert added_bytes <= 8 * MB
    assert bytecode_layer <= 4 * MB
    assert slim <= 20 * MB


def test_nothing_compiles_at_start_up(variant: Variant) -> None:
    # python -v names the file each module's code comes from: a .py there
    # means it was compiled from source, which a read-only image repeats on
    # every cold start.
    for handler, payloads in [
        ("fastfib.handlers.raw", ['{"n":7}', '{"n":7.5}', '{"n":100000}']),
        ("fastfib.handlers.apigw", [(EVENTS / n).read_text() for n in ("apigw_v2.json", "alb.json", "apigw_v1.json")]),
    ]:
        with ContainerRie(variant.test_image, handler, env={"PYTHONVERBOSE": "1"}) as c:
            for p in payloads:
                assert c.invoke(p)[0] == 200
            logs = c.logs()
        loaded = re.findall(r"# code object from '?([^'\s]+)'?", logs)
        assert len(loaded) > 50, logs[-2000:]
        from_source = [f for f in loaded if f.endswith(".py")]
        assert from_source == [], f"{handler} compiled from source: {from_source}"


def test_make_run_answers_curl(images: list[str]) -> None:
    answer, output = make_serve_and_invoke("run", '{"n":7}', "DOCKER_RUN_FLAGS=--network host", *images)
    assert answer == (200, b'{"result":13}')
    assert "serves one request at a time" in output


def _in_slim(entries: dict, path: str) -> bool:
    """Whether ``path`` exists in the slim image; a Python module's source or cached bytecode counts as its sourceless .pyc."""
    m = _CACHED_PYC.match(path)
    if m:
        path = f"{m['dir']}/{m['stem']}.pyc"
    elif path.endswith(".py"):
        path += "c"
    key = resolve_in(entries, path)
    return key is not None and (key in entries and entries[key].isfile())


_LEFT_OUT_LIBS = """
import glob, os, subprocess, sys, sysconfig
loader = next(p for p in ('/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1') if os.path.exists(p))
for name in sys.argv[1:]:
    for ext in glob.glob(os.path.join(sysconfig.get_paths()['stdlib'], 'lib-dynload', f'_{name}.*.so')):
        listed = subprocess.run([loader, '--list', ext], capture_output=True, text=True, check=True).stdout
        for line in listed.splitlines():
            path = line.split('=>')[-1].split('(')[0].strip()
            if path.startswith('/'):
                print(os.path.realpath(path))
"""


def _left_out(image: str) -> tuple[re.Pattern[str], set[str]]:
    """What the slim image may lack: the LEFT_OUT modules' files, and the shared libraries their extensions load."""
    names = "|".join(map(re.escape, LEFT_OUT))
    module = rf"(__pycache__/)?({names})\.(py|[\w-]+\.pyc)"
    files = re.compile(rf"^/usr/lib/python3\.\d+/({module}|lib-dynload/_({names})\.[\w-]+\.so)$")
    libs = docker("run", "--rm", "--entrypoint", "/usr/bin/python3", image, "-c", _LEFT_OUT_LIBS, *LEFT_OUT)
    return files, set(libs.split())


# Runs last among the fastfib:latest cases, in the same (audited) containers.
@pytest.mark.parametrize("variant", ["latest"], indirect=True)
def test_slim_image_holds_every_file_the_full_image_opened(variant: Variant, raw_rie: ContainerRie,
                                                           apigw_rie: ContainerRie, report) -> None:  # fmt: skip
    assert isinstance(raw_rie, AuditedContainer) and isinstance(apigw_rie, AuditedContainer)
    raw_rie.invoke('{"n":7}')  # started, even when run alone
    apigw_rie.invoke((EVENTS / "apigw_v2.json").read_bytes())
    opened = raw_rie.opened() | apigw_rie.opened() | OPENED
    assert any(p.startswith("/var/task/fastfib/_core.") for p in opened)  # the audit saw the handler run
    assert any("libgmp" in p for p in opened) and any(p.endswith(".pyc") for p in opened)
    entries = image_entries(SLIM)
    needed = sorted(p for p in opened if not p.startswith(_VIRTUAL))
    missing = [p for p in needed if not _in_slim(entries, p)]
    left_out_files, left_out_libs = _left_out(FINAL)
    unexplained = [p for p in missing if not left_out_files.match(p) and p not in left_out_libs]
    report("Slim image audit", f"{len(needed)} files opened or mapped by fastfib:latest while serving the handler "
                               f"cases; missing from {SLIM}: {len(missing)} left out on purpose "
                               f"({', '.join(sorted(LEFT_OUT))}), {len(unexplained)} unexplained")  # fmt: skip
    assert unexplained == []
