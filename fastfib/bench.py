"""Benchmark: ``python -m fastfib.bench`` prints one table of side-by-side ratios.

Each row times fastfib.fib, gmpy2.fib (GMP's mpz_fib_ui) and a pure-Python
fast doubling for one n, then F(n) in decimal three ways, each from n:
fastfib.fib_digits, gmpy2.digits(gmpy2.fib(n)) and CPython's str(int).
Every timing is the best of several repeats, measured in this one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable

import gmpy2

import fastfib
from fastfib.reference import fib_fast_doubling


def best_time(func: Callable[[], object], budget: float = 0.3, repeats: int = 5) -> float:
    """Best seconds per call of ``func`` over ``repeats`` rounds of about ``budget / repeats`` each."""
    start = time.perf_counter()
    func()
    once = max(time.perf_counter() - start, 1e-9)
    number = max(1, int(budget / repeats / once))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def _str_of_fib(n: int) -> Callable[[], object]:
    """F(n) in decimal the plain-Python way: fastfib.fib, int(), then str()."""
    set_limit = getattr(sys, "set_int_max_str_digits", None)

    def run() -> object:
        if set_limit is None:
            return str(int(fastfib.fib(n)))
        previous = sys.get_int_max_str_digits()
        set_limit(0)  # lift the 4300-digit guard for this measurement only
        try:
            return str(int(fastfib.fib(n)))
        finally:
            set_limit(previous)

    return run


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def run(exponents: list[int], budget: float) -> str:
    """Measure and return the table as Markdown."""
    rows = [
        "| n | fastfib.fib | gmpy2.fib | fastfib / gmpy2 | pure Python | Python / fastfib "
        "| fib_digits(n) | gmpy2.digits(gmpy2.fib(n)) / fib_digits | str(int(fib(n))) / fib_digits |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in exponents:
        n = 10**e
        t_ff = best_time(lambda: fastfib.fib(n), budget)
        t_gmp = best_time(lambda: gmpy2.fib(n), budget)
        t_py = best_time(lambda: fib_fast_doubling(n), budget, repeats=3 if e >= 6 else 5)
        t_dig = best_time(lambda: fastfib.fib_digits(n), budget)
        t_gdig = best_time(lambda: gmpy2.digits(gmpy2.fib(n)), budget)
        t_str = best_time(_str_of_fib(n), budget, repeats=1 if e >= 7 else 3)
        rows.append(
            f"| 10^{e} | {_fmt(t_ff)} | {_fmt(t_gmp)} | {t_ff / t_gmp:.2f}× | {_fmt(t_py)} | {t_py / t_ff:.1f}× "
            f"| {_fmt(t_dig)} | {t_gdig / t_dig:.2f}× | {t_str / t_dig:.1f}× |"
        )
    t_mod = best_time(lambda: fastfib.fib_mod(10**18, 10**9 + 7), budget)
    big = 10**1000
    t_mod_big = best_time(lambda: fastfib.fib_mod(big, 10**9 + 7), budget)
    t_mod_wide = best_time(lambda: fastfib.fib_mod(big, 2**200 + 235), budget)
    rows += [
        "",
        f"fib_mod(10**18, 10**9+7): {_fmt(t_mod)} per call",
        f"fib_mod(10**1000, 10**9+7): {_fmt(t_mod_big)} per call",
        f"fib_mod(10**1000, 2**200+235): {_fmt(t_mod_wide)} per call",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table (n = 10^3 .. 10^7 by default)."""
    p = argparse.ArgumentParser(prog="python -m fastfib.bench", description=__doc__.splitlines()[0])
    p.add_argument("--max-exponent", type=int, default=7, help="largest n is 10**this (default 7)")
    p.add_argument("--budget", type=float, default=0.3, help="seconds to spend per measurement (default 0.3)")
    args = p.parse_args(argv)
    print(f"fastfib {fastfib.__version__}, gmpy2 {gmpy2.__version__} ({gmpy2.mp_version()}), Python {sys.version.split()[0]}")
    print(run(list(range(3, args.max_exponent + 1)), args.budget))
    return 0


if __name__ == "__main__":
    sys.exit(main())
