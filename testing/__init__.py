"""Test fixtures and stand-ins: not part of the library (generation/, optimizer/)."""
