"""Errors a user can cause and fix: each message is one sentence saying what to do."""

from __future__ import annotations


class UserInputError(Exception):
    """Bad data, bad parameters or an unreachable service; the message says the fix."""


def find_user_error(exc: BaseException | None) -> UserInputError | None:
    """Return the first ``UserInputError`` in an exception's cause / context chain."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UserInputError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
