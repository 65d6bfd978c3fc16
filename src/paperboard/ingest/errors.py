"""Errors a source raises when a whole response (not one record) is unusable."""

from __future__ import annotations


class SourceError(RuntimeError):
    """The input as a whole cannot be read: malformed XML/JSON, an error feed, an OAI error."""


class OaiError(SourceError):
    """An OAI-PMH error response (``<error code="...">``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code = code
        self.message = message
