"""Benchmark: ``python -m fastfib.bench`` prints three tables of side-by-side ratios.

The first times fastfib.fib beside gmpy2.fib (GMP's mpz_fib_ui), and a
pure-Python fast doubling; the second times F(n) in decimal from n:
fastfib.fib_digits beside gmpy2.digits(gmpy2.fib(n)), and CPython's
str(int).  fastfib runs four ways: the NTT path (when fastfib.backend() is
"ntt") and the GMP path (forced with the private fastfib._backend.use), each
on 1 thread and on N.  Rows run from 10^3 to 3·10^7.  A third table times
fib_mod for an n of 6·10^6 digits (as long as a whole Lambda event can
carry) with 64- to 1024-bit moduli, per digit of n, beside the general mpz
loop it replaced above one limb.  Every timing is the best of several
rounds, and the contenders of a row are measured in alternating rounds of
this one run, so the ratios compare like with like.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from typing import Callable, Sequence, Tuple, Union

import gmpy2

import fastfib
from fastfib import _backend
from fastfib.reference import fib_fast_doubling

#: Rows: n = 10^3 .. 3·10^7.
DEFAULT_ROWS = [10**3, 10**4, 10**5, 10**6, 3 * 10**6, 10**7, 3 * 10**7]

#: Above this n the pure-Python and str(int) columns are skipped (seconds to minutes each).
SLOW_COLUMNS_MAX_N = 10**6


#: fib_mod rows: an n of this many digits, with moduli of these many bits (2**bits - 159, odd).
MOD_ROW_DIGITS = 6_000_000
MOD_ROW_BITS = [64, 128, 256, 1024]
#: The mpz-calls column runs on an n this many times shorter (the cost is linear in n's digits).
MPZ_CALLS_SHORTER = 10


#: A function, or (threads, path, function): the function run with
#: fastfib.set_threads(threads) and fastfib._backend.use(path).
Contender = Union[Callable[[], object], Tuple[int, str, Callable[[], object]]]


def _prepare(threads: int | None, path: str | None) -> None:
    if threads is not None:
        fastfib.set_threads(threads)
    if path is not None:
        _backend.use(path)


def best_times(funcs: Sequence[Contender], budget: float = 0.3, repeats: int = 7) -> list[float]:
    """Best seconds per call of each of ``funcs``, over ``repeats`` alternating rounds.

    A contender ``(k, path, func)`` runs with fastfib.set_threads(k) and
    fastfib._backend.use(path), set before each of its rounds (not inside
    the timed loop).  Each round gives each function about ``budget /
    repeats`` seconds.  Alternating means a burst of load from elsewhere on
    the machine slows every contender alike, so the ratios between them stay
    fair.
    """
    plain = [(None, None, f) if callable(f) else f for f in funcs]
    numbers = []
    for threads, path, func in plain:
        _prepare(threads, path)
        start = time.perf_counter()
        func()
        once = max(time.perf_counter() - start, 1e-9)
        numbers.append(max(1, int(budget / repeats / once)))
    best = [float("inf")] * len(funcs)
    for _ in range(repeats):
        for i, ((threads, path, func), number) in enumerate(zip(plain, numbers)):
            _prepare(threads, path)
            start = time.perf_counter()
            for _ in range(number):
                func()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    return best


def best_time(func: Callable[[], object], budget: float = 0.3, repeats: int = 7) -> float:
    """Best seconds per call of ``func`` (see :func:`best_times`)."""
    return best_times([func], budget, repeats)[0]


def _str_of_fib(n: int) -> Callable[[], object]:
    """F(n) in decimal the plain-Python way: fastfib.fib, int(), then str()."""
    set_limit = getattr(sys, "set_int_max_str_digits", None)

    def convert() -> object:
        if set_limit is None:
            return str(int(fastfib.fib(n)))
        previous = sys.get_int_max_str_digits()
        set_limit(0)  # lift the 4300-digit guard for this measurement only
        try:
            return str(int(fastfib.fib(n)))
        finally:
            set_limit(previous)

    return convert


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _row_label(n: int) -> str:
    e = len(str(n)) - 1
    lead = n // 10**e
    return f"10^{e}" if lead == 1 else f"{lead}·10^{e}"


def _modes(threads: int) -> list[tuple[int, str]]:
    """(threads, path) of fastfib's columns: the NTT path where it is in use, then the GMP path."""
    paths = ["ntt", "gmp"] if fastfib.backend() == "ntt" else ["gmp"]
    return [(k, path) for path in paths for k in (1, threads)]


def _columns(modes: list[tuple[int, str]], name: str) -> tuple[str, str]:
    head = "".join(f" {name}, {path.upper()} path, {'1 thread' if k == 1 else 'N threads'} | ratio |" for k, path in modes)
    return head, "---|---|" * len(modes)


def _cells(times: list[float], reference: float) -> str:
    return "".join(f" {_fmt(t)} | {t / reference:.2f}× |" for t in times)


def run(rows: list[int], budget: float, threads: int) -> str:
    """Measure and return the tables as Markdown: fastfib's paths on 1 and ``threads`` threads beside gmpy2."""
    modes = _modes(threads)
    head, rule = _columns(modes, "fastfib.fib")
    numbers = [
        "F(n) as a number (ratio: time / gmpy2.fib's time; below 1 is faster):",
        "",
        f"| n | gmpy2.fib |{head} pure Python / fastfib (1 thread) |",
        f"|---|---|{rule}---|",
    ]
    head, rule = _columns(modes, "fib_digits")
    digits = [
        "",
        "F(n) in decimal, from n (ratio: time / gmpy2.digits(gmpy2.fib(n))'s time):",
        "",
        f"| n | gmpy2.digits(gmpy2.fib(n)) |{head} str(int(fib(n))) / fib_digits (1 thread) |",
        f"|---|---|{rule}---|",
    ]
    for n in rows:
        label, slow = _row_label(n), n <= SLOW_COLUMNS_MAX_N
        # partial: the same call overhead for every contender
        t_gmp, *t = best_times([partial(gmpy2.fib, n)] + [(k, path, partial(fastfib.fib, n)) for k, path in modes], budget)
        _prepare(1, modes[0][1])
        py = f"{best_time(partial(fib_fast_doubling, n), budget, repeats=3) / t[0]:.1f}×" if slow else "—"
        numbers.append(f"| {label} | {_fmt(t_gmp)} |{_cells(t, t_gmp)} {py} |")
        d_gmp, *d = best_times(
            [partial(lambda k: gmpy2.digits(gmpy2.fib(k)), n)] + [(k, path, partial(fastfib.fib_digits, n)) for k, path in modes],
            budget,
        )
        _prepare(1, modes[0][1])
        text = f"{best_time(_str_of_fib(n), budget, repeats=1) / d[0]:.1f}×" if slow else "—"
        digits.append(f"| {label} | {_fmt(d_gmp)} |{_cells(d, d_gmp)} {text} |")
    fastfib.set_threads(1)
    big = 10**1000
    t_mod, t_mod_big, t_mod_wide = (
        best_time(partial(fastfib.fib_mod, n, m), budget)
        for n, m in ((10**18, 10**9 + 7), (big, 10**9 + 7), (big, 2**200 + 235))
    )
    return "\n".join(
        numbers
        + digits
        + [
            "",
            f"- `fib_mod(10**18, 10**9+7)`: {_fmt(t_mod)} per call.",
            f"- `fib_mod(10**1000, 10**9+7)`: {_fmt(t_mod_big)} per call.",
            f"- `fib_mod(10**1000, 2**200+235)`: {_fmt(t_mod_wide)} per call.",
        ]
    )


def mod_rows(digits: int = MOD_ROW_DIGITS, bits: list[int] = MOD_ROW_BITS) -> str:
    """The fib_mod table: time per call and per digit of n, beside the general mpz loop (on a shorter n)."""
    import math
    import random

    from fastfib import _core

    def number(k: int) -> int:  # k digits: 10**(k-1) plus fewer than 10**(k-1)
        bits = int((k - 1) * math.log2(10))
        return int(gmpy2.mpz(10) ** (k - 1) + random.Random(18).getrandbits(bits))

    n, short = number(digits), number(digits // MPZ_CALLS_SHORTER)
    lines = [
        "",
        f"fib_mod(n, m) for an n of {digits:,} digits (best of 2; per digit of n; "
        f"mpz calls: the general loop, timed on an n of {digits // MPZ_CALLS_SHORTER:,} digits):",
        "",
        "| bits of m | fib_mod | per digit of n | ratio to 64 bits | mpz calls, per digit | mpz calls / fib_mod |",
        "|---|---|---|---|---|---|",
    ]
    base = 0.0
    for b in bits:
        m = (1 << b) - 159
        (t,) = best_times([partial(fastfib.fib_mod, n, m)], budget=0.0, repeats=2)
        (t_mpz,) = best_times([partial(_core._fib_mod_mpz_calls, short, m)], budget=0.0, repeats=2)
        per, per_mpz = t / digits, t_mpz / (digits // MPZ_CALLS_SHORTER)
        base = base or per
        lines.append(f"| {b} | {_fmt(t)} | {_fmt(per)} | {per / base:.2f}× | {_fmt(per_mpz)} | {per_mpz / per:.2f}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark tables (n = 10^3 .. 3·10^7 by default)."""
    p = argparse.ArgumentParser(prog="python -m fastfib.bench", description=__doc__.splitlines()[0])
    p.add_argument("--max-n", type=int, default=DEFAULT_ROWS[-1], help="largest n (default 3·10^7)")
    p.add_argument("--budget", type=float, default=0.3, help="seconds to spend per measurement (default 0.3)")
    p.add_argument("--mod-digits", type=int, default=MOD_ROW_DIGITS,
                   help="digits of n in the fib_mod table (default %(default)s; 0 skips it)")  # fmt: skip
    p.add_argument("--threads", type=int, default=fastfib.get_threads(),
                   help="N, the threads of the N columns (default: fastfib.get_threads(), here %(default)s)")  # fmt: skip
    args = p.parse_args(argv)
    print(
        f"fastfib {fastfib.__version__}, gmpy2 {gmpy2.__version__} ({gmpy2.mp_version()}), "
        f"Python {sys.version.split()[0]}, N = {args.threads} threads, backend: {fastfib.backend()}"
    )
    previous, path = fastfib.get_threads(), fastfib.backend()
    try:
        print(run([n for n in DEFAULT_ROWS if n <= args.max_n], args.budget, args.threads))
        if args.mod_digits:
            print(mod_rows(args.mod_digits))
    finally:
        fastfib.set_threads(previous)
        if path == "ntt":
            _backend.use("ntt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
