"""fastfib's JSON rules, for events (through ``fastfib.runtime``) and proxy bodies alike.

``loads`` is ``json.loads`` with two changes, each costing a plain function
call per integer or object, so that no part of a 6 MB event costs more:

- An integer longer than JSON_INT_DIGITS stays text (``LongInt``).  Python's
  int() refuses it (the 4300-digit guard), and with the guard lifted it
  parses in quadratic time before 3.12.  An ignored one then costs nothing,
  and a read one (n or mod) is parsed by GMP.
- An object in which one of the names a reader passes as ``watched``
  appears more than once keeps, as json does, the last value, but it
  becomes a ``RepeatedNames`` that says which, so the reader can refuse the
  name (``repeated``) instead of silently taking one of the values: JSON
  parsers disagree on which.  Other repeated names cost one comparison.

The garbage collector is paused while a text is decoded: the decoder makes
no cycles, and a collection every few hundred objects made 490,000 small
objects cost 2.5 times as much.
"""

from __future__ import annotations

import gc
import json

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any, Optional

#: Python's int() refuses longer decimal strings by default (sys.get_int_max_str_digits()).
JSON_INT_DIGITS = 4300


class LongInt:
    """An integer literal longer than JSON_INT_DIGITS, kept as its text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"LongInt(<{len(self.text)} characters>)"


class RepeatedNames(dict):  # type: ignore[type-arg]
    """A JSON object in which watched names appear more than once: the last value is kept, ``names`` lists them."""

    __slots__ = ("names",)
    names: tuple[str, ...]


def _parse_int(text: str) -> int | LongInt:
    # A plain function, not a type: it runs for every integer, and a 6 MB
    # event can hold 3 million of them (a str subclass here took 1.7 s).
    if len(text) <= JSON_INT_DIGITS:
        try:
            return int(text)
        except ValueError:  # a lower int_max_str_digits set by the application
            pass
    return LongInt(text)


def _not_json(name: str) -> Any:
    # json.loads takes NaN, Infinity and -Infinity; JSON (and awslambdaric's own decoder) does not.
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes, watched: frozenset[str] = frozenset()) -> Any:
    """Decode JSON text with fastfib's rules (see the module's docstring).

    Raises ValueError for text that is not JSON (also NaN and Infinity,
    which json.loads takes, or bytes that are not UTF-8/16/32) and
    RecursionError for JSON nested too deeply.
    """

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # It runs for every object: one comparison unless a name repeats.
        obj = dict(pairs)
        if len(obj) == len(pairs) or watched.isdisjoint(obj):
            return obj
        seen: set[str] = set()
        names: list[str] = []
        for name, _ in pairs:
            if name in watched:
                if name in seen and name not in names:
                    names.append(name)
                seen.add(name)
        if not names:
            return obj
        marked = RepeatedNames(obj)
        marked.names = tuple(names)
        return marked

    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text, parse_int=_parse_int, parse_constant=_not_json, object_pairs_hook=pairs_hook)
    finally:
        if collecting:
            gc.enable()


def repeated(obj: object, names: tuple[str, ...]) -> Optional[str]:
    """The first of ``names`` (watched when ``obj`` was decoded) that appears more than once in ``obj``, else None."""
    if isinstance(obj, RepeatedNames):
        for name in obj.names:
            if name in names:
                return name
    return None


def json_type(value: object) -> str:
    """How a JSON value is named in messages: 'null', 'a string', 'an array', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, LongInt)):
        return "an integer"
    if isinstance(value, float):
        return f"a non-integer number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
