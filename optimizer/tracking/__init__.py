"""MLflow review of studies: a parent run per study, a child run per trial (an Optuna callback), plots refreshed
after every trial. MLflow is imported when the tracker is first used."""

from generation.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(["PARENT_RUN_ATTR", "RUN_ATTR", "StudyTracker", "TrackingError", "resolve_tracking_uri"],
                    "optimizer.tracking.tracker"),
    "write_previews": "optimizer.tracking.previews",
})

__all__ = ["PARENT_RUN_ATTR", "RUN_ATTR", "StudyTracker", "TrackingError", "resolve_tracking_uri", "write_previews"]
