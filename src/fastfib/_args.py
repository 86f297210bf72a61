"""Argument rules shared by the public API: integers only, written strictly.

How large an argument may be, for the memory this process has, is
``fastfib._memory``'s rule (:func:`fastfib._memory.as_index`).
"""

from __future__ import annotations

import re

from fastfib.errors import shown

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Mapping

def as_int(value: object, name: str) -> int:
    """Return ``value`` as a Python int, or raise TypeError naming ``name``.

    Anything with ``__index__`` is accepted (int, gmpy2.mpz, numpy integers)
    if that returns an int; bool is refused even though it is an int
    subclass, and so are float, str, None and an ``__index__`` that returns
    a bool or any other non-int.
    """
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not bool")
    if isinstance(value, int):  # an int subclass is its int value, as operator.index() takes it
        return int.__index__(value)
    method = getattr(type(value), "__index__", None)
    if method is None:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    result = method(value)
    if type(result) is not int:  # bool, an int subclass, or anything else: refused, not coerced
        raise TypeError(
            f"{name} must be an integer: {type(value).__name__}.__index__ returned {type(result).__name__}, not int"
        )
    return result


def as_modulus(value: object, name: str = "m") -> int:
    """Like :func:`as_int`, and raise ValueError unless value >= 1: the one modulus rule and its message
    (the library, the CLI and the handlers all apply it)."""
    m = as_int(value, name)
    if m < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {describe(m)}")
    return m


_DECIMAL = re.compile(r"-?[0-9]+")
_SIGN_AND_ZEROS = re.compile(r"-?0*")

#: Up to this many significant digits, a decimal is converted by int() at once
#: (microseconds, and below CPython's 4300-digit guard); a longer one is
#: converted by GMP, only once admission has reserved the memory for that.
SHORT_DIGITS = 4000


class Numeral:
    """A decimal integer as a client wrote it: checked, measured, and not yet converted.

    ``digits`` counts its significant digits (no sign, no leading zeros), so
    a limit on size can refuse it by its length alone.  Checking and
    measuring it allocate nothing, whatever its length (regular-expression
    matches over the text): only :meth:`value` converts it, and for more
    than SHORT_DIGITS digits GMP's conversion takes memory in proportion
    (``fastfib._memory.reserve_parse`` holds it first).
    """

    __slots__ = ("text", "digits", "negative", "_start")

    def __init__(self, text: str) -> None:
        """Raise ValueError unless ``text`` is a strict decimal integer: optional '-', ASCII digits, nothing else."""
        if not _DECIMAL.fullmatch(text):
            raise ValueError(f"{text[:40]!r} is not a decimal integer")
        match = _SIGN_AND_ZEROS.match(text)
        assert match is not None  # it matches the empty string at least
        start = match.end()
        if start == len(text):  # all zeros: keep the last one
            start -= 1
        self.text = text
        self._start = start
        self.negative = text.startswith("-") and text[start] != "0"
        self.digits = len(text) - start if text[start] != "0" else 0

    def value(self) -> int:
        """The integer; above SHORT_DIGITS digits, through GMP (reserve its memory first)."""
        if self.digits <= SHORT_DIGITS:
            try:
                magnitude = int(self.text[self._start :])  # a short slice, whatever the zeros before it
            except ValueError:  # a lower int_max_str_digits set for this interpreter
                pass
            else:
                return -magnitude if self.negative else magnitude
        import gmpy2

        return int(gmpy2.mpz(self.text))

    def __repr__(self) -> str:
        return f"Numeral({describe(self)})"


def parse_decimal(text: str) -> int:
    """Parse a strict decimal integer: optional '-', ASCII digits, nothing else.

    No '+', spaces, underscores or exponents.  Long inputs are parsed by GMP,
    so CPython's 4300-digit limit on int(str) does not apply; their memory is
    not reserved here (see :class:`Numeral` for text a client sent).
    Raises ValueError on anything else.
    """
    return Numeral(text).value()


def describe(n: int | Numeral) -> str:
    """``str(n)`` for n up to 64 bits; a larger n is described by its size (formatting it would be slow).

    A :class:`Numeral` is described the same way by its digits, without converting it.
    """
    if isinstance(n, Numeral):
        if n.digits <= 19:
            return str(n.value())
        return f"{'-' if n.negative else ''}<{n.digits}-digit integer>"
    bits = n.bit_length()
    return str(n) if bits <= 64 else f"{'-' if n < 0 else ''}<{bits}-bit integer>"


def setting_int(environ: Mapping[str, str], name: str, low: int, high: int, why: str = "") -> int | None:
    """The integer setting ``name`` from ``environ``, None if unset (the one reader of FASTFIB_* numbers).

    Surrounding spaces are ignored; anything but ASCII digits with a value
    from low to high raises RuntimeError naming the variable and the rule
    (``why`` is appended to the rule), echoing the value through
    :func:`fastfib.errors.shown`.  The length is checked first, since int()
    refuses very long digit strings.
    """
    raw = environ.get(name)
    if raw is None:
        return None
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) <= 20 and low <= int(text) <= high:
        return int(text)
    raise RuntimeError(f"{name} must be an integer from {low} to {high}{why}; got {shown(raw)}")
