"""``fit(..., checkpoint_dir=DIR)``: a run killed with SIGKILL resumes from
its last backed-up epoch when the same command runs again."""

import json
import signal
import time

import numpy as np
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit.tasks import resume

EPOCHS = 4

# Trains a tiny classifier once told "go"; logs each epoch's start and end
# to a file and sleeps at each epoch end, so the parent can kill it
# between epochs. Run twice with the same arguments: the second resumes.
TRAIN = f"""
import json, sys, time
import keras
import nlptoolkit
from helpers import TINY, TOY_LABELS, TOY_TEXTS

checkpoint_dir, output, log = sys.argv[1:4]


class Progress(keras.callbacks.Callback):
    def _log(self, line):
        with open(log, "a") as handle:
            handle.write(line + "\\n")

    def on_epoch_begin(self, epoch, logs=None):
        self._log(f"begin {{epoch}}")

    def on_epoch_end(self, epoch, logs=None):
        time.sleep(0.3)
        self._log(f"end {{epoch}}")


clf = nlptoolkit.TextClassifier("lstm", seed=0, **TINY)
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    sys.exit(3)
history = clf.fit(
    TOY_TEXTS, TOY_LABELS, epochs={EPOCHS}, batch_size=8,
    early_stopping=False, verbose=0, callbacks=[Progress()],
    checkpoint_dir=checkpoint_dir,
)
clf.save(output)
print(json.dumps({{"epochs": history.epoch}}), flush=True)
"""


def start_children(folder, spawn):
    """Both runs start together (the ``children`` fixture, see conftest):
    the second imports while the first trains, and waits for "go"."""
    return {
        run: spawn(
            TRAIN,
            folder / "backup",
            folder / "model.keras",
            folder / f"{run}.log",
            folder=folder,
            name=run,
        )
        for run in ("first", "second")
    }


def _events(log):
    return log.read_text().splitlines() if log.exists() else []


def _go(child):
    child.stdin.write("go\n")
    child.stdin.flush()


def test_killed_training_resumes_from_the_last_backed_up_epoch(
    children,
):
    started, folder = children
    first, second = started["first"], started["second"]
    try:
        _go(first)
        deadline = time.monotonic() + 240
        # "begin 2": epochs 0 and 1 ended, so epoch 1's backup is written
        # (the backup callback runs after the others at each epoch end).
        while "begin 2" not in _events(folder / "first.log"):
            assert first.poll() is None, (folder / "first.err").read_text()
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        first.kill()
    assert first.returncode == -signal.SIGKILL
    metadata = folder / "backup" / resume.METADATA_FILE
    backed_up = json.loads(metadata.read_text())["epoch"]
    assert 2 <= backed_up < EPOCHS
    assert not (folder / "model.keras").exists()

    _go(second)
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, (folder / "second.err").read_text()[-3000:]
    # It resumed: epochs before the backup were not run again.
    epochs = json.loads(out.strip().splitlines()[-1])["epochs"]
    assert epochs == list(range(backed_up, EPOCHS))
    assert _events(folder / "second.log")[0] == f"begin {backed_up}"
    # It finished: the backup is gone and the model is usable.
    assert not (folder / "backup").exists()
    model = nlptoolkit.load(folder / "model.keras")
    probabilities = model.predict(["a good film", "an awful plot"])
    assert probabilities.shape == (2, 2) and np.isfinite(probabilities).all()


def test_backup_of_another_run_is_refused(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / resume.RUN_FILE).write_text(json.dumps({"task": "other"}))
    clf = nlptoolkit.TextClassifier("lstm", seed=0, **TINY)
    with pytest.raises(ValueError, match="different training run"):
        clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, checkpoint_dir=backup)
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ValueError, match="must be a folder"):
        clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, checkpoint_dir=file)
    with pytest.raises(TypeError, match="checkpoint_dir"):
        clf.fit(TOY_TEXTS, TOY_LABELS, epochs=1, checkpoint_dir=3)


@pytest.mark.parametrize(
    "task", ["classification", "generation", "summarization"]
)
def test_every_train_cli_takes_checkpoint_dir(task):
    import importlib

    module = importlib.import_module(f"nlptoolkit.tasks.{task}.__main__")
    parser = module.build_parser()
    args = parser.parse_args(["train", "--checkpoint-dir", "ckpt"])
    assert args.checkpoint_dir == "ckpt"


def test_every_task_fit_takes_checkpoint_dir():
    import inspect

    for task_class in (
        nlptoolkit.TextClassifier,
        nlptoolkit.SentimentClassifier,
        nlptoolkit.TextGenerator,
        nlptoolkit.Summarizer,
    ):
        assert "checkpoint_dir" in inspect.signature(task_class.fit).parameters
