"""How fastfib's handlers fit awslambdaric: events are decoded with ``fastfib.decode.loads``.

awslambdaric decodes each event with ``json.loads`` before a handler runs.
That refuses any integer longer than 4300 digits anywhere in an event
(``Runtime.UnmarshalError``, whose message suggests a setting the client
cannot change), and keeps the last of repeated names without a word.
``install()`` makes awslambdaric's marshaller decode with fastfib's rules
instead, so that a long n is read (or refused by a limit that names it),
a long ignored integer costs nothing, and a repeated n or mod is refused.

Text that fastfib's decoder refuses (not JSON, nested too deeply) goes to
awslambdaric's own decoder, so its error stays exactly what it was.  If
awslambdaric is not loaded, or has no ``LambdaMarshaller.unmarshal_request``,
nothing changes.
"""

from __future__ import annotations

import sys

from fastfib.decode import loads

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any

_MARSHALLER_MODULE = "awslambdaric.lambda_runtime_marshaller"


def install() -> bool:
    """Decode the events of the awslambdaric in this process with ``fastfib.decode.loads``.

    Returns True if awslambdaric's marshaller now does so (also when it
    already did), False if there is no awslambdaric, or no marshaller of the
    expected shape, in this process.  Idempotent.
    """
    module = sys.modules.get(_MARSHALLER_MODULE)
    marshaller_class = getattr(module, "LambdaMarshaller", None)
    original = getattr(marshaller_class, "unmarshal_request", None)
    if marshaller_class is None or not callable(original):
        return False
    if getattr(original, "fastfib_decoder", False):
        return True

    def unmarshal_request(self: Any, request: Any, content_type: str = "application/json") -> Any:
        if content_type == "application/json":
            try:
                return loads(request)
            except Exception:  # awslambdaric's own decoder gives its own error for this text
                pass
        return original(self, request, content_type)

    unmarshal_request.fastfib_decoder = True  # type: ignore[attr-defined]
    unmarshal_request.__doc__ = original.__doc__
    marshaller_class.unmarshal_request = unmarshal_request
    return True
