"""Study and trial figures for review: optimisation history, score vs weight, a (weight, ratio) contour, confusion.

matplotlib with the Agg backend (no display on workers); every function returns a Figure the caller logs and closes.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# A contour needs enough distinct points to interpolate: below this the scatter says it all.
CONTOUR_MIN_TRIALS = 6


def history(trials: pd.DataFrame, metric: str) -> Figure:
    """Each completed trial's value by trial number, with the best so far."""
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(trials["number"], trials["value"], "o", color="tab:blue", label="trial")
    ax.step(trials["number"], trials["value"].cummax(), where="post", color="tab:red", label="best so far")
    ax.set(xlabel="trial", ylabel=metric, title="optimisation history")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def score_vs_weight(trials: pd.DataFrame, metric: str) -> Figure:
    """Value against blend weight, coloured by synthetic ratio (the baseline, ratio 0, is the darkest)."""
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    points = ax.scatter(trials["weight"], trials["value"], c=trials["ratio"], cmap="viridis", edgecolors="k")
    fig.colorbar(points, ax=ax, label="synthetic ratio r")
    ax.set(xlabel="blend weight w", ylabel=metric, title=f"{metric} vs weight")
    fig.tight_layout()
    return fig


def contour(trials: pd.DataFrame, metric: str) -> Figure | None:
    """Interpolated value over (weight, ratio), with the trials on top; None below CONTOUR_MIN_TRIALS distinct points
    or when the points lie on a line (a search that holds the ratio fixed)."""
    distinct = trials.drop_duplicates(["weight", "ratio"])
    if len(distinct) < CONTOUR_MIN_TRIALS or distinct["weight"].nunique() < 3 or distinct["ratio"].nunique() < 3:
        return None
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        filled = ax.tricontourf(distinct["weight"], distinct["ratio"], distinct["value"], levels=12, cmap="viridis")
    except (ValueError, RuntimeError):  # degenerate triangulation (collinear points)
        plt.close(fig)
        return None
    fig.colorbar(filled, ax=ax, label=metric)
    ax.plot(trials["weight"], trials["ratio"], "k.", markersize=5)
    ax.set(xlabel="blend weight w", ylabel="synthetic ratio r", title=f"{metric} over (w, r)")
    fig.tight_layout()
    return fig


def confusion_matrix(confusion: Sequence[Sequence[int]], classes: Sequence[str], title: str) -> Figure:
    """Rows are true classes, columns predicted, counts written in the cells."""
    counts = np.asarray(confusion, dtype=int)
    size = 1.2 + 0.7 * len(classes)
    fig, ax = plt.subplots(figsize=(size + 1, size), dpi=100)
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right")
    ax.set_yticks(ticks, classes)
    for (row, col), value in np.ndenumerate(counts):
        colour = "white" if value > counts.max() / 2 else "black"
        ax.text(col, row, str(value), ha="center", va="center", color=colour)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    plt.close(fig)


def forest(differences: Sequence[dict], metric: str) -> Figure | None:
    """Each candidate's paired difference to each reference arm (`none`, `synthda`) with its 95% CI, a zero line:
    an interval that crosses it shows no difference. None without differences (no reference arms)."""
    if not differences:
        return None
    labels = list(dict.fromkeys(d["label"] for d in differences))
    references = list(dict.fromkeys(d["reference"] for d in differences))
    fig, ax = plt.subplots(figsize=(7, 1.6 + 0.7 * len(labels) * len(references)), dpi=100)
    colours = dict(zip(references, ("tab:blue", "tab:orange", "tab:green", "tab:red")))
    offsets = np.linspace(-0.2, 0.2, len(references)) if len(references) > 1 else [0.0]
    for d in differences:
        y = labels.index(d["label"]) + offsets[references.index(d["reference"])]
        low, high = d["low"], d["high"]
        if np.isfinite(low) and np.isfinite(high):
            ax.plot([low, high], [y, y], color=colours[d["reference"]], linewidth=2)
        ax.plot(d["mean"], y, "o", color=colours[d["reference"]])
        ax.annotate(f"n={d['n']}", (d["mean"], y), textcoords="offset points", xytext=(0, 6), ha="center",
                    fontsize=7)
    ax.axvline(0.0, color="k", linewidth=1, linestyle="--")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.invert_yaxis()
    for reference, colour in colours.items():
        ax.plot([], [], "o-", color=colour, label=f"vs {reference}")
    ax.legend(loc="best", fontsize=8)
    ax.set(xlabel=f"paired difference in {metric.replace('_', ' ')} (95% CI, t on the per-seed differences)",
           title="candidate minus reference, same seeds")
    fig.tight_layout()
    return fig
