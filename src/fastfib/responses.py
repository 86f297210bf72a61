"""Response bytes for both handlers, built directly so no number passes through str(int).

awslambdaric sends a handler's ``bytes`` return value on untouched, so the
digits from GMP go straight into the payload.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Mapping

    from fastfib.events import HttpEvent

JSON_TYPE = "application/json"


def result_json(digits: bytes) -> bytes:
    """The compact result object, ``{"result":<digits>}``."""
    return b'{"result":' + digits + b"}"


def error_json(message: str) -> bytes:
    """The compact error object, ``{"error":"<message>"}``."""
    return json.dumps({"error": message}, separators=(",", ":")).encode()


def http_response(
    event: HttpEvent,
    status: int,
    body_json: bytes,
    extra_headers: Mapping[str, str] | None = None,
) -> bytes:
    """A proxy response for ``event``'s shape (its ``response_head``), with ``body_json`` as its JSON-string body."""
    head = event.response_head(status, {"Content-Type": JSON_TYPE, **(extra_headers or {})})
    prefix = json.dumps(head, separators=(",", ":")).encode()[:-1]
    return prefix + b',"body":' + _json_string(body_json) + b',"isBase64Encoded":false}'


def _json_string(text: bytes) -> bytes:
    # result_json and error_json both produce ASCII JSON with no control
    # characters (json.dumps escapes them), so as a JSON string it needs only
    # backslashes and quotes escaped; this stays on bytes, with no decoding
    # of megabytes of digits.
    return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
