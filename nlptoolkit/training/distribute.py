"""Distribution strategies by name, and only the chief writes.

`make_strategy` gives the ``tf.distribute`` strategy of a name
(``--strategy`` on the command line), checking ``TF_CONFIG`` for a
multi-worker one; `is_chief` says whether this process writes the outputs;
`chief_output_dir` is ``nlptoolkit.atomic.output_dir`` on the chief and a
private scratch folder, discarded, on the other workers.

Example:
>>> from nlptoolkit.training.distribute import is_chief, make_strategy
>>> make_strategy("default") is None, is_chief(None)
(True, True)
"""

import contextlib
import json
import os
import tempfile

from nlptoolkit.atomic import output_dir
from nlptoolkit.errors import UserError

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name):
    """The ``tf.distribute`` strategy for ``--strategy NAME``.

    ``"default"`` gives ``None`` (TensorFlow's default strategy: one
    device); ``"mirrored"`` a ``MirroredStrategy`` over every local GPU
    (the CPU when there is none); ``"multiworker"`` a
    ``MultiWorkerMirroredStrategy`` whose cluster and own task come from
    the ``TF_CONFIG`` environment variable (see `check_tf_config`).
    Create it first thing, before any other TensorFlow work (a
    multi-worker strategy must configure the runtime before it starts).
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"Unknown strategy. Received: strategy={name!r}. Expected one "
            f"of {list(STRATEGIES)}."
        )
    if name == "default":
        return None
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    check_tf_config(os.environ.get("TF_CONFIG"))
    return tf.distribute.MultiWorkerMirroredStrategy()


def check_tf_config(text):
    """Refuse a missing or malformed ``TF_CONFIG`` (`UserError`)."""
    example = (
        'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", '
        '"host2:12345"]}, "task": {"type": "worker", "index": 0}}\''
    )
    if not text:
        raise UserError(
            "--strategy multiworker needs the TF_CONFIG environment "
            f"variable on every worker, e.g. {example}."
        )
    try:
        config = json.loads(text)
    except ValueError:
        raise UserError(
            f"TF_CONFIG is not valid JSON: {text[:80]!r}. Expected e.g. "
            f"{example}."
        ) from None
    config = config if isinstance(config, dict) else {}
    cluster, task = config.get("cluster"), config.get("task")
    if not (
        isinstance(cluster, dict)
        and cluster.get("worker")
        and isinstance(task, dict)
        and {"type", "index"} <= set(task)
    ):
        raise UserError(
            "TF_CONFIG needs a 'cluster' with a 'worker' list and a 'task' "
            f"with 'type' and 'index'. Received: {text[:120]!r}. Expected "
            f"e.g. {example}."
        )


def is_chief(strategy):
    """Whether this process writes the outputs: always, except on a
    multi-worker strategy's non-chief workers."""
    resolver = getattr(strategy, "cluster_resolver", None)
    jobs = {} if resolver is None else resolver.cluster_spec().as_dict()
    if not jobs or resolver.task_type in (None, "chief"):
        return True
    first_worker = resolver.task_type == "worker" and resolver.task_id == 0
    return first_worker and "chief" not in jobs


@contextlib.contextmanager
def chief_output_dir(path, strategy=None, overwrite=False, own=()):
    """``nlptoolkit.atomic.output_dir(path, overwrite, own)`` on the chief
    (see `is_chief`); on a multi-worker ``strategy``'s other workers a
    private temp folder, discarded after the block, so that only the
    chief writes ``path``."""
    if is_chief(strategy):
        with output_dir(path, overwrite=overwrite, own=own) as tmp:
            yield tmp
        return
    with tempfile.TemporaryDirectory(
        prefix="nlptoolkit-worker-", ignore_cleanup_errors=True
    ) as scratch:
        yield scratch
