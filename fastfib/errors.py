"""Errors the Lambda handlers raise; their class names become Lambda's ``errorType``."""


class InvalidInput(ValueError):
    """The event does not carry a valid request; the message names the field and the rule."""


class InputTooLarge(ValueError):
    """n is above the configured limit (FASTFIB_MAX_N); the message states the limit."""
