"""The floor for latency and INIT benchmarks: a handler that does nothing."""


def handler(event: object, context: object) -> bytes:
    """Return an empty JSON object, as bytes, whatever the event."""
    return b"{}"
