"""How the command line reports what went wrong: one line on stderr, exit 2 for bad input, 130 for Ctrl-C."""

from __future__ import annotations

import logging
import sys

import typer

from generation.errors import AutoSynthDaError

# The click that typer runs on: typer >= 0.20 vendors its own copy (typer._click), older typer uses the click package.
click_exceptions = sys.modules[typer.BadParameter.__module__]

USAGE_EXIT = 2
INTERRUPTED_EXIT = 130  # 128 + SIGINT, what shells report for a Ctrl-C


class Interrupted(AutoSynthDaError):
    """Ctrl-C (or SIGTERM) stopped a command; what it finished is kept. exit_code 130, like a shell's."""

    exit_code = INTERRUPTED_EXIT


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def fail(message: str, code: int = USAGE_EXIT) -> None:
    print(f"error: {one_line(message)}", file=sys.stderr)
    sys.exit(code)


def report_click_error(exc: click_exceptions.ClickException) -> None:
    """Click's usage errors (a bad option value, a missing argument) as one line naming the option, not a boxed panel
    with the usage; `autosynthda <command> --help` shows the usage."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # `autosynthda` alone (click >= 8.2): the help is the answer
        exc.show()
        sys.exit(exc.exit_code)
    fail(exc.format_message(), exc.exit_code)


class DropInterruptedTrialLog(logging.Filter):
    """Optuna logs a trial stopped by Ctrl-C with the whole traceback; the command says "interrupted" itself."""

    def __init__(self) -> None:
        super().__init__()
        self._dropping = False

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, KeyboardInterrupt):
            self._dropping = True  # and its follow-up line, "Trial N failed with value None."
            return False
        if self._dropping and "failed with value" in record.getMessage():
            self._dropping = False
            return False
        return True
