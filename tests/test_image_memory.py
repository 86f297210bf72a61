"""Oversized input under memory limits in both images (Python 3.13), through RIE in a container.

The cases of tests/test_rie_memory.py, each under RLIMIT_AS headrooms set on
the container's runtime process from the host, in fastfib:latest and
fastfib:slim; then the same events in a container started with a cgroup
limit (``--memory``) at the README's documented minimum, 512 MB, where the
function must never be killed.

FASTFIB_MEMORY_TEST_IMAGES=latest-tag,slim-tag runs them against images
built already (say, under tags of one's own on a shared Docker engine)
instead of building testfastfib:latest and testfastfib:slim.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Iterator

import pytest
from containers import ContainerRie, built_images, docker
from test_rie_memory import (
    HEADROOMS_MIB,
    LONG_N_EVENTS,
    _good_call,
    check_long_n,
    check_nested_body,
    check_nested_raw,
    limited,
)

pytestmark = pytest.mark.docker

_OWN = os.environ.get("FASTFIB_MEMORY_TEST_IMAGES", "")
IMAGES = dict(zip(("latest", "slim"), _OWN.split(","))) if _OWN else {"latest": "testfastfib:latest", "slim": "testfastfib:slim"}
#: In the images, the cases that crossed a window (the others run on the host).
CASES = ["raw-mod", "v2-query-no-mod", "alb-query-mod"]
#: template.yaml's MemorySize may not be below this (the README's minimum).
DOCUMENTED_MINIMUM = "512m"


@pytest.fixture(scope="module", params=list(IMAGES), ids=list(IMAGES))
def runtimes(request: pytest.FixtureRequest) -> Iterator[dict[str, ContainerRie]]:
    if not _OWN:
        built_images()
    image = IMAGES[request.param]
    with ContainerRie(image, "fastfib.handlers.raw") as raw, ContainerRie(image, "fastfib.handlers.apigw") as apigw:
        yield {"raw": raw, "apigw": apigw}


@pytest.mark.parametrize("headroom_mib", HEADROOMS_MIB)
def test_in_the_image_under_address_space_headroom(runtimes: dict[str, ContainerRie], headroom_mib: int) -> None:
    for case in CASES:
        handler, event, with_mod = LONG_N_EVENTS[case]
        runtime = runtimes[handler]
        limited(runtime, handler, headroom_mib, partial(check_long_n, runtime, handler, event, with_mod))
    limited(runtimes["apigw"], "apigw", headroom_mib, lambda: check_nested_body(runtimes["apigw"]))
    limited(runtimes["raw"], "raw", headroom_mib, lambda: check_nested_raw(runtimes["raw"]))


@pytest.mark.parametrize("image", list(IMAGES))
def test_at_the_documented_minimum_memory_nothing_is_killed(image: str) -> None:
    if not _OWN:
        built_images()
    limit = ["--memory", DOCUMENTED_MINIMUM, "--memory-swap", DOCUMENTED_MINIMUM]
    with ContainerRie(IMAGES[image], "fastfib.handlers.raw", extra=limit) as raw, ContainerRie(
        IMAGES[image], "fastfib.handlers.apigw", extra=limit
    ) as apigw:
        for runtime, handler in ((raw, "raw"), (apigw, "apigw")):
            _good_call(runtime, handler)
            first = runtime.runtime_pid()
            for case_handler, event, with_mod in LONG_N_EVENTS.values():
                if case_handler == handler:
                    check_long_n(runtime, handler, event, with_mod)
            if handler == "raw":
                check_nested_raw(runtime)
            else:
                check_nested_body(runtime)
            assert runtime.runtime_pid() == first, "the runtime was restarted: it was killed"
            assert docker("inspect", "--format", "{{.State.OOMKilled}}", runtime.name).strip() == "false"
