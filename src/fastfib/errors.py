"""Request errors.  Each carries its HTTP status, so a handler needs one except clause.

Their class names become Lambda's ``errorType`` when the raw handler raises
them.  Messages are short and ASCII: anything a client sent is echoed only
through :func:`shown`, and a message is cut to MAX_MESSAGE characters, so an
error response stays small whatever the request held.
"""

from __future__ import annotations

# typing costs ~2 ms of INIT; annotations are strings (PEP 563), so it is needed only by type checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional

#: The longest message an error carries; JSON escaping at most doubles it.
MAX_MESSAGE = 240

# The statuses the handlers send, with their reason phrases (http.HTTPStatus would cost an import at start).
REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 422: "Unprocessable Content", 500: "Internal Server Error"}

#: How many characters of escaped text a message may echo from a client's value.
SHOWN_CHARS = 40


class RequestError(ValueError):
    """A request that is not served; ``status`` is its HTTP status, ``headers`` any extra response headers."""

    status = 400

    def __init__(self, message: str, headers: Optional[Mapping[str, str]] = None) -> None:
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        super().__init__(message)
        self.headers: Mapping[str, str] = headers or {}


class InvalidInput(RequestError):
    """The event does not carry a valid request; the message names the field and the rule."""

    status = 400


class MethodNotAllowed(RequestError):
    """An HTTP method other than those the ``Allow`` header lists."""

    status = 405


class InputTooLarge(RequestError):
    """The request is above a limit (n, mod, the response size, memory); the message states the limit."""

    status = 422


def shown(value: str) -> str:
    """A client's string, safe to echo: quoted, ASCII-escaped, at most SHOWN_CHARS characters of it."""
    pieces: list[str] = []
    size = 0
    for char in value[:SHOWN_CHARS]:
        piece = ascii(char)[1:-1]  # "é" -> "\\xe9"; printable ASCII stays as it is
        if size + len(piece) > SHOWN_CHARS:
            break
        pieces.append(piece)
        size += len(piece)
    return "'" + "".join(pieces) + "'" + ("..." if len(pieces) < len(value) else "")
