"""Invocation latency and INIT duration through the real RIE on this host.

Prints Markdown tables: p50 and p99 latency over CALLS sequential calls
for fastfib.handlers.raw at n = 7, 1e5 and 1e6, beside a trivial handler
that returns b"{}" (the floor); the p50 latency at n = 1e6 and 1e7 with
FASTFIB_THREADS=1 beside the default (every CPU this process may use),
in alternating rounds; the p50 latency at n = 1e6 and 1e7 on one thread on
the NTT path beside the GMP path (FASTFIB_BACKEND=gmp, a private knob),
also alternating; and the median INIT duration that RIE logs over
STARTS fresh starts of each.  Everything is measured in this one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from rie import HostRie, init_durations_ms

from fastfib._api import available_cpus

TOOLS = Path(__file__).resolve().parent


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def latency_ms(rie: HostRie, payload: bytes, calls: int) -> list[float]:
    for _ in range(5):
        rie.invoke(payload)
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        status, _ = rie.invoke(payload)
        samples.append((time.perf_counter() - start) * 1000)
        assert status == 200
    return samples


def thread_rows(env: dict[str, str], calls: int, rounds: int = 5) -> list[str]:
    """p50 latency of the raw handler at n = 1e6 and 1e7 on 1 thread and on the default N.

    Two runtimes run side by side and take turns, a few calls each, so load
    from elsewhere on the machine slows both alike.
    """
    ns = (10**6, 10**7)
    one = {**env, "FASTFIB_THREADS": "1"}
    # fastfib's own default: the runtimes are children of this process (same
    # affinity, same cgroup).  Set explicitly, since HostRie adds this
    # process's environment, which may set FASTFIB_THREADS.
    threads = min(available_cpus(), 64)
    default = {**env, "FASTFIB_THREADS": str(threads)}
    samples: dict[tuple[str, int], list[float]] = {(w, n): [] for w in ("1", "N") for n in ns}
    with HostRie("fastfib.handlers.raw", env=one) as serial, HostRie("fastfib.handlers.raw", env=default) as parallel:
        for n in ns:
            per_round = max(1, (calls if n < 10**7 else calls // 10) // rounds)
            for _ in range(rounds):
                for which, rie in (("1", serial), ("N", parallel)):
                    samples[which, n] += latency_ms(rie, b'{"n":%d}' % n, per_round)
    rows = [f"| n | 1 thread, p50 | N = {threads} threads, p50 | ratio |", "|---|---|---|---|"]
    for n in ns:
        p1, pn = percentiles(samples["1", n])[0], percentiles(samples["N", n])[0]
        rows.append(f"| 10^{len(str(n)) - 1} | {p1:.1f} ms | {pn:.1f} ms | {pn / p1:.2f}× |")
    return rows


def path_rows(env: dict[str, str], calls: int, rounds: int = 5) -> list[str]:
    """p50 latency of the raw handler at n = 1e6 and 1e7, one thread, on the NTT path beside the GMP path."""
    ns = (10**6, 10**7)
    one = {**env, "FASTFIB_THREADS": "1", "FASTFIB_BACKEND": ""}
    samples: dict[tuple[str, int], list[float]] = {(w, n): [] for w in ("ntt", "gmp") for n in ns}
    with HostRie("fastfib.handlers.raw", env=one) as ntt, \
            HostRie("fastfib.handlers.raw", env={**one, "FASTFIB_BACKEND": "gmp"}) as gmp:  # fmt: skip
        for n in ns:
            per_round = max(1, (calls if n < 10**7 else calls // 10) // rounds)
            for _ in range(rounds):
                for which, rie in (("ntt", ntt), ("gmp", gmp)):
                    samples[which, n] += latency_ms(rie, b'{"n":%d}' % n, per_round)
    rows = ["| n, 1 thread | NTT path, p50 | GMP path, p50 | NTT / GMP |", "|---|---|---|---|"]
    for n in ns:
        pn, pg = percentiles(samples["ntt", n])[0], percentiles(samples["gmp", n])[0]
        rows.append(f"| 10^{len(str(n)) - 1} | {pn:.1f} ms | {pg:.1f} ms | {pn / pg:.2f}× |")
    return rows


def median_init_ms(handler: str, starts: int, env: dict[str, str]) -> float:
    values = []
    for _ in range(starts):
        with HostRie(handler, env=env) as rie:
            rie.invoke(b"{}" if "trivial" in handler else b'{"n":7}')
            values += init_durations_ms(rie.log())[:1]
    return statistics.median(values)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--starts", type=int, default=7)
    args = p.parse_args()
    env = {"PYTHONPATH": str(TOOLS) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    rows = ["| handler | payload | p50 | p99 | p50 / floor |", "|---|---|---|---|---|"]
    with HostRie("trivial_handler.handler", env=env) as floor_rie:
        floor_p50, floor_p99 = percentiles(latency_ms(floor_rie, b"{}", args.calls))
    rows.append(f"| trivial (floor) | `{{}}` | {floor_p50:.3f} ms | {floor_p99:.3f} ms | 1.00× |")
    with HostRie("fastfib.handlers.raw", env=env) as rie:
        for n in (7, 10**5, 10**6):
            p50, p99 = percentiles(latency_ms(rie, b'{"n":%d}' % n, args.calls))
            rows.append(f'| fastfib raw | `{{"n":{n}}}` | {p50:.3f} ms | {p99:.3f} ms | {p50 / floor_p50:.2f}× |')

    rows += ["", *thread_rows(env, args.calls)]
    rows += ["", *path_rows(env, args.calls)]

    init_floor = median_init_ms("trivial_handler.handler", args.starts, env)
    init_raw = median_init_ms("fastfib.handlers.raw", args.starts, env)
    init_apigw = median_init_ms("fastfib.handlers.apigw", args.starts, env)
    rows += [
        "",
        f"| INIT (median of {args.starts} starts, RIE's INIT REPORT) | ms | minus trivial |",
        "|---|---|---|",
        f"| trivial handler | {init_floor:.1f} | 0 |",
        f"| fastfib.handlers.raw | {init_raw:.1f} | {init_raw - init_floor:+.1f} |",
        f"| fastfib.handlers.apigw | {init_apigw:.1f} | {init_apigw - init_floor:+.1f} |",
    ]
    print(f"RIE on the host, Python {sys.version.split()[0]}, {args.calls} calls per row")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
