"""Provenance: seeds, op determinism and the manifests recorded next to
results.

- :func:`set_seed` seeds Python, NumPy and the backend, and turns on
  TensorFlow op determinism; :func:`op_determinism_enabled` reads that
  switch back.
- :func:`manifest` is what every CLI's ``metrics.json`` records: versions,
  machine, seed, op determinism, the dataset and hashes of what the model
  saw (the hashes come from :mod:`nlptoolkit.fingerprint`, which stays a
  module of its own: checkpoints use it too, without TensorFlow).
- The pieces a manifest is made of (:func:`library_versions`,
  :func:`machine_info`, :func:`package_versions`, :func:`cpu_model`,
  :func:`usable_cpus`, :func:`utc_timestamp`) are public, so the benchmark
  scripts build theirs from the same code.

Example:
>>> from nlptoolkit import provenance
>>> info = provenance.manifest(3, "mine", texts=["a", "b"])
>>> info["seed"], info["dataset"], info["vocabulary_sha256"]
(3, 'mine', None)
>>> import hashlib
>>> info["dataset_sha256"] == hashlib.sha256(b'["a", "b"]').hexdigest()
True
>>> sorted(provenance.package_versions(["no-such-package"]).items())
[('no-such-package', None)]
"""

import datetime
import os
import platform
import random

import keras
import numpy as np

from nlptoolkit.fingerprint import texts_sha256
from nlptoolkit.fingerprint import vocabulary_sha256


def set_seed(seed):
    """Seed Python, NumPy and the backend (``None`` leaves them alone).

    With TensorFlow it also turns on op determinism
    (``tf.config.experimental.enable_op_determinism``), so the same seed
    gives the same weights, metrics and sampled text on the same machine
    and versions. That switch is process-wide and stays on: later
    unseeded tasks run deterministic ops too (TensorFlow has no public way
    to turn it off), ops without a deterministic kernel raise
    ``UnimplementedError``, and ``tf.data`` pipelines run their stateful
    maps serially. Measured cost on this 2-core CPU: see
    ``op_determinism_enabled``.
    """
    if seed is None:
        return
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def op_determinism_enabled():
    """Whether TensorFlow op determinism is on (a seeded task turned it
    on). Recorded in every CLI manifest.

    Cost, measured on the shared 2-core CPU (on/off interleaved in one
    process, medians of 5 and of 8 rounds): an epoch of a 64-wide LSTM or
    Transformer classifier on 2,000 texts, or of a 2-layer char
    Transformer LM, ran at on/off ratios between 0.90 and 1.43; predict
    and seeded top-k generate between 0.85 and 1.76. The spread between
    repeats (+-30-50 %) is larger than any difference: no consistent cost
    on this CPU, whose kernels are deterministic already. The switch
    matters more on GPUs (other kernels, some raising
    ``UnimplementedError``) and for ``tf.data`` pipelines with stateful
    maps, which then run serially.
    """
    if keras.backend.backend() != "tensorflow":
        return False
    from tensorflow.python.framework import config as tf_config

    return bool(tf_config.is_op_determinism_enabled())


def library_versions():
    """``{"tensorflow", "keras", "keras_hub", "scikit_learn"}`` versions,
    read from the imported modules."""
    import keras_hub
    import sklearn
    import tensorflow as tf

    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_hub": keras_hub.__version__,
        "scikit_learn": sklearn.__version__,
    }


def machine_info():
    """``{"machine", "processor", "cpu_count"}`` of this host (the
    processor falls back to the machine where the platform has none)."""
    return {
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def package_versions(names):
    """``{name: version}`` of installed distributions (``None`` for one
    that is not installed or has no readable metadata)."""
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except Exception:  # noqa: BLE001 - a manifest never fails a run
            versions[name] = None
    return versions


def cpu_model():
    """The CPU's model name from ``/proc/cpuinfo`` (else the platform's
    processor string, else None)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def usable_cpus():
    """How many CPUs this process may run on (None where the platform
    cannot say)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return None


def utc_timestamp():
    """Now, in UTC, as ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"
    )


def manifest(seed, dataset, texts=None, tokenizer=None):
    """What a result was made with, recorded in every ``metrics.json``:
    versions, machine, seed, whether op determinism was on, the dataset
    name and hashes of what the model saw.

    ``dataset_sha256`` is the sha256 of the training texts in training
    order as one JSON array (``nlptoolkit.fingerprint.texts_sha256``: the
    ``text`` column for classification, the corpus for generation, the
    documents then the summaries for summarization);
    ``vocabulary_sha256`` is the sha256 of the tokenizer's vocabulary
    JSON, byte for byte the ``vocabulary.json`` inside ``model.keras``.
    """
    vocabulary = getattr(tokenizer, "vocabulary", None)
    return {
        "python": platform.python_version(),
        **library_versions(),
        **machine_info(),
        "seed": seed,
        "op_determinism": op_determinism_enabled(),
        "dataset": dataset,
        "dataset_sha256": None if texts is None else texts_sha256(texts),
        "vocabulary_sha256": None
        if vocabulary is None
        else vocabulary_sha256(vocabulary),
    }
