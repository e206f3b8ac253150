"""The two kinds of error (STYLE 10).

:class:`UserError` and its subclasses carry a message a person can act on, in
Chinese and English, and the exit code of SPEC §8.  They are shown as one
line, never with a traceback.  Anything else is an internal error: logged in
full, reported with a short notice and exit code 1.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_DENIED = 4
EXIT_CONFLICT = 5
EXIT_NOT_FOUND = 6


class UserError(Exception):
    """An error the user can act on; ``zh`` and ``en`` say the same thing."""

    exit_code = EXIT_INVALID

    def __init__(self, zh: str, en: str | None = None) -> None:
        self.zh = zh
        self.en = en or zh
        super().__init__(self.line())

    def line(self) -> str:
        """The one line printed on stderr or shown in a message box."""
        return f"{self.zh} / {self.en}" if self.en != self.zh else self.zh


class UsageError(UserError):
    """The command line itself is wrong (exit 2)."""

    exit_code = EXIT_USAGE


class InvalidInput(UserError):
    """A value is not acceptable; nothing was changed (exit 3)."""

    exit_code = EXIT_INVALID


class NotPermitted(UserError):
    """The user may not do this, or the password is wrong (exit 4)."""

    exit_code = EXIT_DENIED


class Conflict(UserError):
    """The record was changed by someone else since it was read (exit 5)."""

    exit_code = EXIT_CONFLICT

    def __init__(self, zh: str, en: str | None = None, *, changed_by: str | None = None) -> None:
        self.changed_by = changed_by
        super().__init__(zh, en)


class NotFound(UserError):
    """No such record (exit 6)."""

    exit_code = EXIT_NOT_FOUND
