"""Figures: confusion matrix and learning curves (matplotlib, Agg canvas).

Figures are built as `matplotlib.figure.Figure` objects attached to an Agg
canvas, never through `pyplot`, so they work without a display, do not
change the global backend, and are not kept alive by pyplot's figure
registry. Jupyter displays a returned figure as usual.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np

from nlptoolkit.atomic import atomic_write
from nlptoolkit.checks import check_sequence
from nlptoolkit.checks import describe_value

logger = logging.getLogger(__name__)


def _new_figure(figsize):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure_atomically(figure, path) -> str:
    """Saves `figure` to `path` through a temporary file and a rename.

    A reader never sees a half-written file: the image is written to a
    temporary file in the same directory, then renamed over `path`
    (`nlptoolkit.atomic.atomic_write`). The format follows the suffix of
    `path` (`.png`, `.pdf`, `.svg`, ...).

    Returns:
        The path written, as a string.

    Example:
    >>> import os, tempfile
    >>> from nlptoolkit.metrics import plot_history
    >>> from nlptoolkit.metrics.plotting import save_figure_atomically
    >>> figure = plot_history({"loss": [1.0, 0.5]})
    >>> path = os.path.join(tempfile.mkdtemp(), "loss.png")
    >>> save_figure_atomically(figure, path) == path
    True
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot save the figure to {path!r}: directory {directory!r} "
            "does not exist. Create it first, e.g. os.makedirs(directory)."
        )
    suffix = os.path.splitext(path)[1]
    image_format = suffix[1:].lower() or "png"
    atomic_write(
        path,
        lambda temporary: figure.savefig(
            temporary, format=image_format, dpi=100
        ),
        suffix=suffix,
    )
    logger.info("Saved figure to %s", path)
    return path


def plot_confusion_matrix(matrix, label_names, path=None, normalize=False):
    """Draws a confusion matrix as an annotated heat map.

    Args:
        matrix: square array-like of counts, rows are true classes and
            columns predicted classes (as `classification_metrics` returns
            under `"confusion_matrix"`).
        label_names: one name per row/column.
        path: optional file path; the figure is saved there atomically
            (format from the suffix, e.g. `.png`).
        normalize: if True, colour and annotate each row as fractions of
            that true class (recall per cell) instead of counts.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:
    >>> from nlptoolkit.metrics import plot_confusion_matrix
    >>> figure = plot_confusion_matrix([[5, 1], [2, 7]], ["neg", "pos"])
    >>> figure.axes[0].get_xlabel()
    'Predicted'
    """
    names = [str(name) for name in check_sequence(label_names, "label_names")]
    try:
        values = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            "`matrix` must be a square array of numbers. "
            f"Received: matrix={describe_value(matrix)}."
        ) from None
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(
            f"`matrix` must be square (classes x classes). Received shape "
            f"{values.shape}."
        )
    if values.shape[0] != len(names):
        raise ValueError(
            f"`matrix` has {values.shape[0]} rows but `label_names` has "
            f"{len(names)} names. Pass one name per class."
        )
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(
            values, totals, out=np.zeros_like(values), where=totals > 0
        )
    size = max(4.0, 0.6 * len(names) + 2.5)
    figure = _new_figure((size, size))
    axes = figure.add_subplot()
    image = axes.imshow(values, cmap="Blues")
    figure.colorbar(image, ax=axes, shrink=0.8)
    ticks = np.arange(len(names))
    axes.set_xticks(ticks, labels=names, rotation=45, ha="right")
    axes.set_yticks(ticks, labels=names)
    axes.set_xlabel("Predicted")
    axes.set_ylabel("True")
    threshold = values.max() / 2 if values.size else 0
    for row in range(values.shape[0]):
        for column in range(values.shape[1]):
            value = values[row, column]
            text = f"{value:.2f}" if normalize else f"{value:g}"
            axes.text(
                column,
                row,
                text,
                ha="center",
                va="center",
                color="white" if value > threshold else "black",
                fontsize=8,
            )
    axes.set_title("Confusion matrix" + (" (row-normalised)" * normalize))
    if path is not None:
        save_figure_atomically(figure, path)
    return figure


def _history_columns(history) -> dict[str, list[float]]:
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        history = history.history  # a keras.callbacks.History
    if hasattr(history, "to_dict") and hasattr(history, "columns"):
        history = {
            str(column): history[column].tolist() for column in history.columns
        }
    if not isinstance(history, Mapping):
        raise TypeError(
            "`history` must be a dict of per-epoch lists (e.g. "
            "`model.fit(...).history`), a Keras `History`, or a pandas "
            f"DataFrame. Received: {describe_value(history)}."
        )
    columns = {}
    for key, values in history.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise TypeError(
                f"`history[{key!r}]` must be a list of per-epoch numbers. "
                f"Received: {describe_value(values)}."
            )
        columns[str(key)] = [float(v) for v in values]
    columns = {key: values for key, values in columns.items() if values}
    if not columns:
        raise ValueError(
            "`history` holds no values. Pass the `.history` of a Keras fit "
            "that ran at least one epoch."
        )
    return columns


def plot_history(history, path=None):
    """Plots learning curves: one subplot per metric, train against val.

    Each key without a `val_` prefix (for example `loss`, `accuracy`) gets a
    subplot; its `val_` twin, when present, is drawn on the same axes. A
    `val_` key without a training twin gets its own subplot.

    Args:
        history: `dict` of per-epoch lists (`model.fit(...).history`), a
            Keras `History` object, or a pandas DataFrame with one column
            per metric and one row per epoch.
        path: optional file path; the figure is saved there atomically.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:
    >>> from nlptoolkit.metrics import plot_history
    >>> history = {"loss": [1.0, 0.6], "val_loss": [1.1, 0.8],
    ...            "accuracy": [0.5, 0.7], "val_accuracy": [0.5, 0.6]}
    >>> figure = plot_history(history)
    >>> [axes.get_title() for axes in figure.axes]
    ['loss', 'accuracy']
    """
    columns = _history_columns(history)
    metrics = []
    for key in columns:
        base = key[4:] if key.startswith("val_") else key
        if base not in metrics:
            metrics.append(base)
    # Put loss first, as Keras does.
    metrics.sort(key=lambda name: name != "loss")
    count = len(metrics)
    figure = _new_figure((4.5 * count, 3.5))
    for index, metric in enumerate(metrics):
        axes = figure.add_subplot(1, count, index + 1)
        for key, label, style in (
            (metric, "train", "-o"),
            ("val_" + metric, "val", "--s"),
        ):
            if key in columns:
                values = columns[key]
                epochs = np.arange(1, len(values) + 1)
                axes.plot(epochs, values, style, label=label, markersize=3)
        axes.set_title(metric)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
        axes.legend()
    if path is not None:
        save_figure_atomically(figure, path)
    return figure
