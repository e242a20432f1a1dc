"""Why a TAO run gave no result, and the masking of secrets in anything that is logged or kept.

Every failure is a ScoringError subclass: the objective fails the trial with the message as its reason and keeps
`log_tail` (the run's last log lines, already redacted) as the trial's "log_tail" user attr; the study goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from optimizer.scoring.protocol import ScoringError

LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4000
MASK = "REDACTED"  # a plain word: a masked YAML or JSON file still parses ("***" is a YAML alias)


class TaoError(ScoringError):
    """A TAO run without a usable result: `kind` tags the failure shape, `log_tail` holds its last log lines."""

    kind = "tao"

    def __init__(self, message: str, *, log_tail: str = "") -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever TAO printed
        self.log_tail = log_tail


class TaoUnavailable(TaoError):
    """The runtime cannot run TAO at all (no Docker daemon, no image, no executable): found before the first trial."""

    kind = "unavailable"


class TaoResultsDirInUse(TaoError):
    """The trial's results dir is not fresh: TAO would resume from its *_latest.pth and "pass" without training."""

    kind = "results_dir_in_use"


class TaoSpecRejected(TaoError):
    """TAO refused a spec key (its schema differs from the one the driver checked against)."""

    kind = "bad_spec_key"


class TaoExitError(TaoError):
    kind = "exit_code"


class TaoReportedFailure(TaoError):
    """Exit status 0, yet the run says it failed (`Execution status: FAIL`, or a FAILURE line in status.json)."""

    kind = "reported_failure"


class TaoNoStatus(TaoError):
    kind = "no_status"


class TaoTimeout(TaoError):
    kind = "timeout"


class TaoOutOfMemory(TaoError):
    """Killed with exit 137 (SIGKILL: the kernel's or Docker's OOM killer, usually) or a CUDA out-of-memory error."""

    kind = "out_of_memory"


class TaoResultError(TaoError):
    """The run finished but left no checkpoint or no accuracy to read."""

    kind = "no_result"


class Redactor:
    """Replaces each secret with REDACTED in text. Empty secrets are ignored (nothing to hide)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def file(self, path: Path, *, text: bool = True) -> None:
        """Rewrite a kept file with the secrets masked: text files get REDACTED, other files a same-length run of
        "*" so their binary framing (e.g. TensorBoard records) keeps its lengths."""
        if not self.secrets or not path.is_file():
            return
        data = path.read_bytes()
        if not any(s.encode() in data for s in self.secrets):
            return
        if text:
            path.write_text(self(data.decode("utf-8", errors="replace")))
            return
        for secret in self.secrets:
            data = data.replace(secret.encode(), b"*" * len(secret.encode()))
        path.write_bytes(data)


def tail_text(text: str, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log's text, at most LOG_TAIL_CHARS characters."""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])[-LOG_TAIL_CHARS:]


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """tail_text of a log file, or "" when there is none."""
    try:
        return tail_text(path.read_text(errors="replace"), lines)
    except OSError:
        return ""
