"""Scale and serving helpers: mixed precision and SavedModel export.

- :func:`resolve_precision` turns a task's ``mixed_precision`` argument
  into a Keras dtype policy name (``mixed_float16`` on a GPU,
  ``mixed_bfloat16`` on a CPU) and :func:`dtype_policy_scope` sets that
  policy only while a model is built (or loaded), restoring the global
  policy afterwards.
- :func:`write_saved_model` writes a TensorFlow SavedModel whose serving
  signature takes a batch of raw strings (``tf.string``, shape
  ``[None]``), through a temp directory and a rename
  (``nlptoolkit.atomic.atomic_write_dir``).

Distribution (``strategy=``) needs nothing here: a task builds and
compiles its model inside ``strategy.scope()``, Keras records the
strategy on the model, and ``fit`` then creates the optimizer's variables
and runs every step under it.
"""

import contextlib
import logging
import os

import keras

from nlptoolkit.atomic import atomic_write_dir
from nlptoolkit.validation import BOOL
from nlptoolkit.validation import Options
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")


def resolve_precision(mixed_precision):
    """The dtype policy name for a task's ``mixed_precision`` argument.

    ``False``/``None`` -> ``None`` (the global policy, float32 by
    default); ``True`` -> ``"mixed_float16"`` when a GPU is visible, else
    ``"mixed_bfloat16"``; a policy name is returned as is.

    Example:
    >>> from nlptoolkit.tasks.scale import resolve_precision
    >>> resolve_precision(False) is None
    True
    >>> resolve_precision("mixed_bfloat16")
    'mixed_bfloat16'
    """
    mixed_precision = check(
        "mixed_precision", mixed_precision, BOOL, Options(MIXED_POLICIES), None
    )
    if mixed_precision is None or mixed_precision is False:
        return None
    if mixed_precision is True:
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return "mixed_float16"
        return "mixed_bfloat16"
    return mixed_precision


@contextlib.contextmanager
def dtype_policy_scope(policy):
    """Set the global Keras dtype policy to ``policy`` inside the block.

    ``None`` changes nothing. The previous global policy is restored on
    exit, even after an error.

    Example:
    >>> import keras
    >>> from nlptoolkit.tasks.scale import dtype_policy_scope
    >>> with dtype_policy_scope("mixed_bfloat16"):
    ...     keras.layers.Dense(2).compute_dtype
    'bfloat16'
    >>> keras.config.dtype_policy().name
    'float32'
    """
    if policy is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


# What a SavedModel directory holds; an export replaces only such a one.
SAVED_MODEL_NAMES = (
    "saved_model.pb",
    "saved_model.pbtxt",
    "fingerprint.pb",
    "keras_metadata.pb",
    "variables",
    "assets",
)


def check_export_path(path):
    """``path`` as an absolute str; refuse a file, or a non-empty directory
    that is not just an earlier SavedModel (it would be replaced whole, so
    it may hold nothing else)."""
    path = os.path.abspath(os.fspath(path))
    if os.path.isfile(path):
        raise ValueError(
            f"`export` writes a SavedModel directory, but {path!r} is a "
            "file. Pass a directory path, e.g. 'exported/1'."
        )
    if not os.path.isdir(path):
        return path
    entries = sorted(os.listdir(path))
    other = [name for name in entries if name not in SAVED_MODEL_NAMES]
    if entries and ("saved_model.pb" not in entries or other):
        shown = ", ".join(repr(name) for name in (other or entries)[:3])
        raise ValueError(
            f"`export` replaces its directory whole, and {path!r} holds "
            f"files that are not a SavedModel's ({shown}); nothing was "
            "written. Pass a new or empty directory, e.g. "
            f"{os.path.join(path, 'exported', '1')!r}."
        )
    return path


def write_saved_model(model, serve, input_name, path):
    """Write ``serve`` as the ``serving_default`` signature of a SavedModel.

    ``serve`` is a Python function of one argument named ``input_name``
    (a ``tf.string`` tensor of shape ``[None]``) returning a dict of
    tensors; it is traced once with that signature. ``model``'s variables
    and lookup tables are tracked. The directory is written next to
    ``path`` and renamed into place, so a crash leaves no half-written
    export. Returns the absolute path.
    """
    import tensorflow as tf

    path = check_export_path(path)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="serve",
        fn=serve,
        input_signature=[tf.TensorSpec([None], tf.string, name=input_name)],
    )
    atomic_write_dir(path, lambda tmp: archive.write_out(tmp, verbose=False))
    logger.info("Exported a SavedModel to %s", path)
    return path
