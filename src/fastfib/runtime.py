"""How fastfib's handlers fit awslambdaric: events are decoded with fastfib's JSON rules.

awslambdaric decodes each event with ``json.loads`` before a handler runs.
That refuses any integer longer than 4300 digits anywhere in an event
(``Runtime.UnmarshalError``, whose message suggests a setting the client
cannot change), and keeps the last of repeated names without a word.
``install()`` makes awslambdaric's marshaller decode with
``fastfib.jsonrules.loads`` instead, so that a long n is read (or refused
by a limit that names it), a long ignored integer costs nothing, and a
repeated n or mod is refused.

It also frees what a raised invocation leaves behind: awslambdaric keeps
``sys.exc_info()`` in a local of the frame that holds the event, a
reference cycle that only a full garbage collection frees, and a process
that refuses large events can go a long time without one (a reviewer
watched RSS reach 646 MB over seven refused 6 MB events).  A handler
wrapped in ``reclaims_after_raise`` marks the invocations that raise, and
the next event's decoding first runs that collection.

An event it runs out of memory decoding reaches the handler as an
``Undecodable``: the raw handler raises its Runtime.UnmarshalError (whose
message says why), the apigw handler answers 422.

Under an address-space limit (RLIMIT_AS, read at each event: prlimit may set
it on a running process) it first makes glibc's malloc give large blocks
back to the system as soon as they are freed (``_core._tune_malloc_for_limit``,
once): otherwise the runtime client's buffer for one 6 MB event stayed
mapped, and with 16 MiB of headroom its next allocation failed
(std::bad_alloc, a runtime abort) however little fastfib took.

It is the only decoder: text it refuses (not JSON, or nested too deeply)
gets awslambdaric's own error type, ``Runtime.UnmarshalError``, with the
decoder's message, or, if decoding ran out of memory (a large event under a
memory limit), a message that says so instead of MemoryError's empty one.  Falling back to awslambdaric's decoder instead would
let a repeated n through wherever the two decoders' limits differ.  If
awslambdaric is not loaded, or its marshaller is not of the expected shape,
nothing changes.
"""

from __future__ import annotations

import functools  # loaded already: awslambdaric, logging and re import it
import gc
import sys

from fastfib._core import _tune_malloc_for_limit
from fastfib._memory import _rlimit_as
from fastfib.decode import EVENT_NAMES
from fastfib.jsonrules import loads

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    Handler = TypeVar("Handler", bound=Callable[..., Any])

_MARSHALLER_MODULE = "awslambdaric.lambda_runtime_marshaller"
#: The reason Runtime.UnmarshalError gives when decoding an event ran out of memory.
OUT_OF_MEMORY = "the event is too large to decode in the memory free now"
#: Set when an invocation raised: the next decoding starts with gc.collect().
_reclaim = False


#: In the text of an ALB event (its requestContext holds "elb"): enough to shape an HTTP answer undecoded.
_ALB_MARK = b'"elb"'


def _as_bytes(request: bytes | str) -> bytes:
    return request if isinstance(request, bytes) else request.encode(errors="replace")


class Undecodable:
    """What the decoder hands the handler instead of an event it ran out of memory decoding.

    The raw handler raises ``error`` (Runtime.UnmarshalError, with the
    reason); the apigw handler answers 422, since behind API Gateway an
    unmarshal error would reach the client as a 502.  ``alb`` says whether
    the event's text names an ALB (whose responses carry a status
    description).
    """

    __slots__ = ("error", "alb")

    def __init__(self, error: BaseException, alb: bool) -> None:
        self.error = error
        self.alb = alb


def reclaims_after_raise(handler: Handler) -> Handler:
    """Wrap a Lambda handler so that, when it raises, the next event's decoding first runs gc.collect()."""

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any = None) -> Any:
        global _reclaim
        try:
            return handler(event, context)
        except BaseException:
            _reclaim = True
            raise

    return wrapper  # type: ignore[return-value]


def install() -> bool:
    """Make the awslambdaric in this process decode JSON events with ``fastfib.jsonrules.loads``.

    Returns True if its marshaller now does so (also when it already did),
    False if there is no awslambdaric in this process, or its marshaller
    module lacks ``LambdaMarshaller.unmarshal_request`` or ``FaultException``.
    Idempotent.
    """
    module = sys.modules.get(_MARSHALLER_MODULE)
    marshaller_class = getattr(module, "LambdaMarshaller", None)
    original = getattr(marshaller_class, "unmarshal_request", None)
    fault = getattr(module, "FaultException", None)
    if marshaller_class is None or not callable(original) or fault is None:
        return False
    if getattr(original, "fastfib_decoder", False):
        return True

    def unmarshal_request(self: Any, request: Any, content_type: str = "application/json") -> Any:
        global _reclaim
        if _reclaim:  # the previous invocation raised: free the event it left in a cycle
            _reclaim = False
            gc.collect()
        if content_type != "application/json":
            return original(self, request, content_type)
        if _rlimit_as() is not None:  # an address-space limit, perhaps set (prlimit) since the last event
            _tune_malloc_for_limit()
        try:
            return loads(request, EVENT_NAMES)
        except MemoryError:  # its message is empty: say why, through the handler (see Undecodable)
            error = fault(fault.UNMARSHAL_ERROR, f"Unable to unmarshal input: {OUT_OF_MEMORY}", None)
            return Undecodable(error, isinstance(request, (bytes, str)) and _ALB_MARK in _as_bytes(request))
        except Exception as exc:  # as awslambdaric's own unmarshal_request reports it
            raise fault(fault.UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}", None) from None

    unmarshal_request.fastfib_decoder = True  # type: ignore[attr-defined]
    unmarshal_request.__doc__ = original.__doc__
    marshaller_class.unmarshal_request = unmarshal_request
    return True
