"""What community actions refuse, each with the HTTP status the web layer answers with."""

from __future__ import annotations

import math


class CommunityError(Exception):
    """Base class. ``str()`` is a sentence for the person who tried (never a stack trace)."""

    status_code = 400
    # Seconds after which trying again may work (the Retry-After header); None: no advice.
    retry_after: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CommunityError):
    """A form field or JSON value that cannot be used; ``field`` names it when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotSignedIn(CommunityError):
    status_code = 401


class LoginFailed(CommunityError):
    """Wrong username or password: one message for both, so that failures do not tell
    whether a username exists."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("Wrong username or password.")


class Forbidden(CommunityError):
    status_code = 403


class NotFound(CommunityError):
    status_code = 404


class RateLimited(CommunityError):
    status_code = 429

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after_s))
        super().__init__(f"Too many attempts. Try again in {_duration(self.retry_after)}.")


class SourceUnavailable(CommunityError):
    """arXiv could not be reached (offline, refused, a server error), has not answered yet,
    or too many look-ups are waiting for it."""

    status_code = 503

    def __init__(self, message: str, retry_after_s: float = 60) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after_s))


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
