"""Why np.load refused a file, in words fit for a user: numpy answers a file that is neither a zip archive nor a
.npy with advice to load it "unsafely" with allow_pickle, which must never be suggested for untrusted input."""

from __future__ import annotations


def load_problem(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if "allow_pickle" in text or "pickle" in text.lower():
        return "not a NumPy file: neither a zip archive nor a .npy header"
    return text or type(exc).__name__
