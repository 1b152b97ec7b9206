"""``fit(..., checkpoint_dir=DIR)``: back up every epoch, resume after a
crash.

Keras ``BackupAndRestore`` writes the weights (optimizer state included)
and the epoch number into ``DIR`` at the end of every epoch; a later
``fit`` with the same ``DIR`` restores them and continues from the next
epoch, and a run that finishes deletes ``DIR``. Two copies are kept
(``double_checkpoint``), so a kill in the middle of a backup falls back to
the previous one.

The task rebuilds its tokenizer from the training data before restoring,
so resuming needs the same data and settings. ``DIR`` also holds
``nlptoolkit_run.json`` (task, constructor arguments, labels, vocabulary
hash, parameter count); a ``fit`` whose model differs refuses to restore
another run's weights and says so.
"""

import json
import logging
import os

import keras

from nlptoolkit.atomic import write_json
from nlptoolkit.checks import check_path
from nlptoolkit.fingerprint import vocabulary_sha256

logger = logging.getLogger(__name__)

RUN_FILE = "nlptoolkit_run.json"
WEIGHTS_FILE = "latest.weights.h5"
METADATA_FILE = "training_metadata.json"


def run_fingerprint(model):
    """What must match for a backup to be restored into ``model``."""
    config = model.task_config
    fingerprint = {
        "task": config.get("task"),
        "init": config.get("init"),
        "labels": config.get("labels"),
        "sequence_length": config.get("sequence_length"),
        "vocabulary_sha256": vocabulary_sha256(model.tokenizer.vocabulary),
        "parameters": int(model.count_params()),
    }
    # Normalise (tuples -> lists ...) so it compares equal to the file.
    return json.loads(json.dumps(fingerprint, default=str))


def backup_callback(model, checkpoint_dir):
    """A ``BackupAndRestore`` callback for ``model`` in ``checkpoint_dir``,
    after checking that any backup there belongs to the same run."""
    path = os.path.abspath(check_path("checkpoint_dir", checkpoint_dir))
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(
            f"`checkpoint_dir` must be a folder. Received: "
            f"checkpoint_dir={path!r}, which is a file. Pass a folder path "
            "(it is created if needed)."
        )
    os.makedirs(path, exist_ok=True)
    fingerprint = run_fingerprint(model)
    run_file = os.path.join(path, RUN_FILE)
    if os.path.exists(run_file):
        try:
            with open(run_file, encoding="utf-8") as handle:
                saved = json.load(handle)
        except (OSError, ValueError):
            saved = None
        if saved != fingerprint:
            differ = sorted(
                key
                for key in fingerprint
                if not isinstance(saved, dict)
                or saved.get(key) != fingerprint[key]
            )
            raise ValueError(
                f"`checkpoint_dir` {path!r} holds the backup of a different "
                f"training run (differs in: {differ}). Resume with the same "
                "data and settings, or pass a new checkpoint_dir (or delete "
                "this one to start over)."
            )
    else:
        write_json(run_file, fingerprint)
    metadata = os.path.join(path, METADATA_FILE)
    if os.path.exists(metadata):
        try:
            with open(metadata, encoding="utf-8") as handle:
                epoch = json.load(handle).get("epoch")
        except (OSError, ValueError, AttributeError):
            epoch = "?"
        logger.info("Resuming from %s after epoch %s.", path, epoch)
    return keras.callbacks.BackupAndRestore(path, double_checkpoint=True)
