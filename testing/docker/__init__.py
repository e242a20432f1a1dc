"""A real Docker daemon and offline-built images for the tests (see daemon.py and image.py)."""
