"""MLflow review of studies: a parent run per study, a child run per trial, plots refreshed after every trial."""

from optimizer.tracking.previews import write_previews
from optimizer.tracking.tracker import PARENT_RUN_ATTR, RUN_ATTR, StudyTracker, TrackingError, resolve_tracking_uri

__all__ = ["PARENT_RUN_ATTR", "RUN_ATTR", "StudyTracker", "TrackingError", "resolve_tracking_uri", "write_previews"]
