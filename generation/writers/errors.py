"""The one error type the writers raise for a user (defined with the project's other errors)."""

from generation.errors import WriterError

__all__ = ["WriterError"]
