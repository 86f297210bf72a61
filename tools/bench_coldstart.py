"""Cold start of the Lambda image: median INIT over fresh containers, with and without bytecode.

Each run starts a new container (read-only root, tmpfs /tmp, RIE from the
host mounted in), invokes it once and reads RIE's ``INIT REPORT``.  Rows:
the final image, the same image without the stdlib bytecode layer
(``--target lambda-nobytecode``), and a trivial handler on each, all
measured in this one run; then p50 latency at n = 7 beside the trivial
handler in the final image.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from containers import ContainerRie, wait_for_log
from rie import init_durations_ms, rie_binary

TOOLS = Path(__file__).resolve().parent
FINAL, NOBYTECODE = "fastfib:latest", "fastfib:nobytecode"
TRIVIAL = "trivial_handler.handler"


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


def run(starts: int = 5, calls: int = 200, rie: str | None = None) -> str:
    """Measure and return the cold-start table as Markdown."""
    rie = rie or rie_binary()
    kinds = [
        ("final image", FINAL, "fastfib.handlers.raw"),
        ("without the bytecode layer", NOBYTECODE, "fastfib.handlers.raw"),
        ("trivial handler, final image", FINAL, TRIVIAL),
        ("trivial handler, without the bytecode layer", NOBYTECODE, TRIVIAL),
    ]
    medians = {}
    # Interleave the kinds so drift on the machine hits all of them alike.
    samples: dict[str, list[float]] = {k[0]: [] for k in kinds}
    for _ in range(starts):
        for label, image, handler in kinds:
            samples[label].append(init_ms(image, handler, rie))
    for label in samples:
        medians[label] = statistics.median(samples[label])
    final, nobc = medians["final image"], medians["without the bytecode layer"]
    rows = [
        f"| container ({starts} fresh starts each) | median INIT | all runs (ms) |",
        "|---|---|---|",
        *(f"| {label} | {medians[label]:.1f} ms | {', '.join(f'{x:.0f}' for x in samples[label])} |" for label in samples),
        "",
        f"final / without bytecode: {final / nobc:.2f}×; final minus trivial (final image): "
        f"{final - medians['trivial handler, final image']:+.1f} ms",
    ]
    p50_raw = p50_ms(FINAL, "fastfib.handlers.raw", rie, calls)
    p50_trivial = p50_ms(FINAL, TRIVIAL, rie, calls)
    rows.append(
        f'p50 latency over {calls} calls, final image: fastfib {{"n":7}} {p50_raw:.3f} ms, '
        f"trivial {p50_trivial:.3f} ms ({p50_raw / p50_trivial:.2f}×)"
    )
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--starts", type=int, default=7)
    p.add_argument("--calls", type=int, default=200)
    args = p.parse_args()
    print(run(args.starts, args.calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
