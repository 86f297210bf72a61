"""Command line: ``fastfib N [--mod M] [--lucas]`` prints the exact value."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Sequence

from fastfib._args import Numeral, describe


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, exit status 2, as argparse does but without the usage block.
        self.exit(2, f"{self.prog}: error: {message}\n")


def _integer(text: str) -> Numeral:
    """An integer argument, checked and measured but not converted: main() converts it once its size is allowed."""
    try:
        return Numeral(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _converted(numeral: Numeral, name: str, longest: int | None = None) -> int:
    """The argument as an int; an argument longer than ``longest`` digits is refused unconverted.

    A long one is converted with its memory reserved first (GMP would abort
    the process if it ran out); OverflowError names the argument otherwise.
    """
    from fastfib import _memory

    if longest is not None and numeral.digits > longest:
        raise OverflowError(
            f"{name}={describe(numeral)} is too large: |{name}| must be at most {_memory.MAX_INDEX} "
            "in this process's memory limit (give --mod for any n)"
        )
    return _memory.parse_numeral(numeral, name)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="fastfib", description="Print the exact n-th Fibonacci (or Lucas) number in decimal.")
    p.add_argument("n", type=_integer, help="the index, any integer (negative allowed)")
    p.add_argument("--mod", type=_integer, metavar="M", help="print the value modulo M (M >= 1); n may then be huge")
    p.add_argument("--lucas", action="store_true", help="print the Lucas number L(n) instead of F(n)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 2 for bad arguments, 1 if stdout cannot be written)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.mod is not None and (args.mod.negative or args.mod.digits == 0):  # as_modulus's message, unconverted
        parser.error(f"--mod must be an integer >= 1, got {describe(args.mod)}")
    import fastfib
    from fastfib._api import decimal
    from fastfib._memory import MAX_INDEX

    try:
        args.mod = None if args.mod is None else _converted(args.mod, "mod")
        args.n = _converted(args.n, "n", None if args.mod is not None else len(str(MAX_INDEX)))
        if args.mod is None:
            value = fastfib.lucas(args.n) if args.lucas else fastfib.fib(args.n)
        elif args.lucas:  # L(n) = F(n-1) + F(n+1)
            m = args.mod
            value = (fastfib.fib_mod(args.n - 1, m) + fastfib.fib_mod(args.n + 1, m)) % m
        else:
            value = fastfib.fib_mod(args.n, args.mod)
        digits = decimal(value)  # may be refused for memory too
    except (ValueError, OverflowError) as exc:
        parser.error(str(exc))
    except MemoryError:
        parser.error("not enough memory for the result")
    return _write(parser, digits + b"\n")


def _write(parser: argparse.ArgumentParser, data: bytes) -> int:
    """Write data to stdout; a closed or failing stdout is one line on stderr and status 1, no traceback."""
    try:
        if sys.stdout is None:  # started with stdout closed (>&-)
            raise OSError("standard output is closed")
        sys.stdout.flush()
        out = sys.stdout.buffer
        view = memoryview(data)
        while view:  # unbuffered (python -u), stdout is raw: a write may take only part
            written = out.write(view)
            if written is None:  # a non-blocking stdout that is full
                raise OSError("standard output would block")
            view = view[written:]
        out.flush()
    except (OSError, ValueError) as exc:  # ENOSPC (>/dev/full), EPIPE, EBADF; ValueError: closed file
        # Point fd 1 at /dev/null, so the interpreter's own flush at exit cannot fail again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
        except OSError:
            pass
        parser.exit(1, f"{parser.prog}: error: cannot write the result: {exc}\n")
    return 0
