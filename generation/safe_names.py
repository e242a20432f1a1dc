"""Class and clip names become folder names (<root>/<split>/<class>/<clip>/): each must be one plain path component.

A pose file's stored label, a --label, a file stem or a config key is data, not a path: `../../x` wrote outside
--out, a leading dot makes a folder TAO lists as a clip yet ls hides (and looks like our own temporaries).
"""

from __future__ import annotations

from pathlib import Path

from generation.errors import PoseDataError

MAX_COMPONENT = 200  # bytes; filesystems allow 255 and a clip folder gets suffixes (__<view>, temp tags)


def component_problem(name: object) -> str | None:
    """Why `name` cannot be one folder name, or None when it can."""
    if not isinstance(name, str):
        return f"must be text, got {type(name).__name__}"
    if not name.strip():
        return "is empty"
    if "/" in name or "\\" in name:
        return f"{name!r} contains a path separator"
    if "\0" in name:
        return f"{name!r} contains a NUL character"
    if name in (".", ".."):
        return f"{name!r} names a folder above or at the root"
    if name.startswith("."):
        return f"{name!r} starts with a dot (hidden; TAO would still read it as a clip)"
    if any(ord(c) < 32 for c in name):
        return f"{name!r} contains a control character"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_COMPONENT:
        return f"is longer than {MAX_COMPONENT} bytes"
    return None


def check_component(name: object, what: str, source: str | Path | None = None) -> str:
    """`name` unchanged when it is one plain path component; else a one-line PoseDataError naming source and what."""
    problem = component_problem(name)
    if problem is not None:
        raise PoseDataError(source, what, f"{problem}; it becomes a folder name, so it must be one plain name")
    return name  # type: ignore[return-value]  # component_problem proved it is a str
