"""Cold start of the Lambda images: size, and median INIT over fresh containers, beside a trivial handler.

Each run starts a new container (read-only root, tmpfs /tmp, RIE from the
host mounted in), invokes it once and reads RIE's ``INIT REPORT``.  Rows:
fastfib.handlers.raw and a trivial handler (tools/trivial_handler.py) in
fastfib:latest and in fastfib:slim (and, with --nobytecode, in the image
without the stdlib bytecode layer), interleaved and all measured in this
one run; then p50 latency at n = 7 beside the trivial handler.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from containers import ContainerRie, image_size, wait_for_log
from rie import init_durations_ms, rie_binary

TOOLS = Path(__file__).resolve().parent
FINAL, SLIM, NOBYTECODE = "fastfib:latest", "fastfib:slim", "fastfib:nobytecode"
FASTFIB, TRIVIAL = "fastfib.handlers.raw", "trivial_handler.handler"


def _container(image: str, handler: str, rie: str) -> ContainerRie:
    mounts = [f"{rie}:/opt/rie/aws-lambda-rie:ro"]
    env = {}
    if handler == TRIVIAL:
        mounts.append(f"{TOOLS / 'trivial_handler.py'}:/opt/trivial/trivial_handler.py:ro")
        env["PYTHONPATH"] = "/opt/trivial:/var/task"
    return ContainerRie(image, handler, rie="/opt/rie/aws-lambda-rie", mounts=mounts, env=env)


def init_ms(image: str, handler: str, rie: str) -> float:
    """INIT duration of one fresh container's first invocation."""
    with _container(image, handler, rie) as c:
        status, _ = c.invoke(b'{"n":7}')
        assert status == 200
        found = init_durations_ms(wait_for_log(c, "INIT REPORT"))
    if not found:
        raise RuntimeError(f"no INIT REPORT from {image} {handler}")
    return found[0]


def p50_ms(image: str, handler: str, rie: str, calls: int) -> float:
    with _container(image, handler, rie) as c:
        for _ in range(10):
            c.invoke(b'{"n":7}')
        samples = []
        for _ in range(calls):
            start = time.perf_counter()
            c.invoke(b'{"n":7}')
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(starts: int = 5, calls: int = 200, rie: str | None = None, nobytecode: bool = False) -> str:
    """Measure and return the size and cold-start table as Markdown."""
    rie = rie or rie_binary()
    images = [FINAL, SLIM] + ([NOBYTECODE] if nobytecode else [])
    kinds = [(image, handler) for image in images for handler in (FASTFIB, TRIVIAL)]
    # Interleave the kinds so drift on the machine hits all of them alike.
    samples: dict[tuple[str, str], list[float]] = {k: [] for k in kinds}
    for _ in range(starts):
        for image, handler in kinds:
            samples[(image, handler)].append(init_ms(image, handler, rie))
    med = {k: statistics.median(v) for k, v in samples.items()}
    rows = [
        f"| image | size | handler | median INIT ({starts} fresh starts) | all runs (ms) |",
        "|---|---|---|---|---|",
    ]
    for image in images:
        size = f"{image_size(image) / 1e6:.1f} MB"
        for handler in (FASTFIB, TRIVIAL):
            runs = ", ".join(f"{x:.0f}" for x in samples[(image, handler)])
            rows.append(f"| {image} | {size} | {'fastfib raw' if handler == FASTFIB else 'trivial'} | "
                        f"{med[(image, handler)]:.1f} ms | {runs} |")  # fmt: skip
    rows.append("")
    for image in images:
        rows.append(f"{image}: fastfib minus trivial {med[(image, FASTFIB)] - med[(image, TRIVIAL)]:+.1f} ms")
    rows.append(f"fastfib INIT, slim / latest: {med[(SLIM, FASTFIB)] / med[(FINAL, FASTFIB)]:.2f}x")
    for image in (FINAL, SLIM):
        p50_raw = p50_ms(image, FASTFIB, rie, calls)
        p50_trivial = p50_ms(image, TRIVIAL, rie, calls)
        rows.append(
            f'p50 latency over {calls} calls, {image}: fastfib {{"n":7}} {p50_raw:.3f} ms, '
            f"trivial {p50_trivial:.3f} ms ({p50_raw / p50_trivial:.2f}x)"
        )
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--starts", type=int, default=5)
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--nobytecode", action="store_true", help="also the image without the stdlib bytecode layer")
    args = p.parse_args()
    print(run(args.starts, args.calls, nobytecode=args.nobytecode))
    return 0


if __name__ == "__main__":
    sys.exit(main())
