import os

import pytest

from nlptoolkit.metrics import plot_confusion_matrix
from nlptoolkit.metrics import plot_history

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_confusion_matrix_figure_and_atomic_save(tmp_path):
    path = tmp_path / "cm.png"
    figure = plot_confusion_matrix([[5, 1], [2, 7]], ["neg", "pos"], path)
    axes = figure.axes[0]
    assert axes.get_xlabel() == "Predicted"
    assert [t.get_text() for t in axes.get_xticklabels()] == ["neg", "pos"]
    assert sorted(t.get_text() for t in axes.texts) == ["1", "2", "5", "7"]
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert os.listdir(tmp_path) == ["cm.png"]  # no temporary file left


def test_confusion_matrix_normalised():
    figure = plot_confusion_matrix([[3, 1], [0, 0]], ["a", "b"], normalize=True)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == ["0.75", "0.25", "0.00", "0.00"]


def test_confusion_matrix_errors(tmp_path):
    with pytest.raises(ValueError, match="2 names"):
        plot_confusion_matrix([[1, 0, 0]] * 3, ["a", "b"])
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix([[1, 0]], ["a"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_confusion_matrix([[1]], ["a"], tmp_path / "missing" / "x.png")


def test_history_dict_one_subplot_per_metric(tmp_path):
    history = {
        "accuracy": [0.5, 0.7, 0.8],
        "loss": [1.0, 0.6, 0.5],
        "val_loss": [1.1, 0.8, 0.7],
        "val_accuracy": [0.5, 0.6, 0.65],
    }
    path = tmp_path / "history.svg"
    figure = plot_history(history, path=path)
    assert [axes.get_title() for axes in figure.axes] == ["loss", "accuracy"]
    for axes in figure.axes:
        labels = [line.get_label() for line in axes.get_lines()]
        assert labels == ["train", "val"]
    loss_train = figure.axes[0].get_lines()[0]
    assert list(loss_train.get_xdata()) == [1, 2, 3]
    assert list(loss_train.get_ydata()) == [1.0, 0.6, 0.5]
    assert path.read_text().lstrip().startswith("<?xml")


def test_history_dataframe_and_history_object():
    import pandas as pd

    frame = pd.DataFrame({"loss": [2.0, 1.0], "perplexity": [7.4, 2.7]})
    figure = plot_history(frame)
    assert [axes.get_title() for axes in figure.axes] == ["loss", "perplexity"]

    class FakeHistory:
        history = {"loss": [1.0], "val_loss": [2.0]}

    figure = plot_history(FakeHistory())
    assert len(figure.axes[0].get_lines()) == 2


def test_history_errors():
    with pytest.raises(ValueError, match="no values"):
        plot_history({"loss": []})
    with pytest.raises(TypeError, match="DataFrame"):
        plot_history([1.0, 0.5])
