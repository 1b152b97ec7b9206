"""Shared pieces of the benchmark scripts (not part of the package).

Every script in this folder writes one JSON file to `benchmarks/results/`
with the shape `{"benchmark": name, "command": "...", "manifest": {...},
"rows": [...], ...}`; `benchmarks/render.py` turns those files into
`BENCHMARKS.md`.
"""

import json
import logging
import os
import pathlib
import platform
import shlex
import statistics
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
RESULTS_DIR = HERE / "results"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

logger = logging.getLogger("benchmarks")


_LOAD_AT_START = None


def _load_average():
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def setup_environment():
    """Quiet TensorFlow, pick the TF backend and point at the local data.

    Called before `nlptoolkit` (and so TensorFlow) is imported.
    """
    global _LOAD_AT_START
    _LOAD_AT_START = _load_average()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("NLPTOOLKIT_OFFLINE", "1")
    if "NLPTOOLKIT_DATA" not in os.environ and SHARED_DATA.is_dir():
        os.environ["NLPTOOLKIT_DATA"] = str(SHARED_DATA)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    # Keras/TF retracing warnings go through the `tensorflow` logger.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def set_threads(threads):
    """Sets TensorFlow's intra- and inter-op threads (0: its default).

    Call before TensorFlow runs any op; recorded in the manifest.
    """
    if not threads:
        return
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def benchmark_parser(doc, quick_help):
    """The arguments every benchmark script shares: ``--quick``,
    ``--output``, ``--seed`` and ``--threads``; its description is the
    first paragraph of ``doc`` (the script's docstring)."""
    import argparse

    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--output", default=str(RESULTS_DIR))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow intra/inter-op threads (default 0: TF's default)",
    )
    return parser


def command_line(script, argv):
    """The command that produced a result, as a user would type it."""
    script = pathlib.Path(script).resolve()
    try:
        script = script.relative_to(REPO_ROOT)
    except ValueError:
        pass
    return " ".join(["python", shlex.quote(str(script))] + list(argv))


def manifest(seed, quick, **extra):
    """Library versions, CPU, threads, seed and date of this run.

    Built from `nlptoolkit.provenance`'s pieces (the package's manifests
    come from there too), with what only a benchmark records: threads,
    GPUs, the load average, `quick`.
    """
    import tensorflow as tf

    from nlptoolkit import provenance

    threading = tf.config.threading
    info = {
        "date": provenance.utc_timestamp(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": provenance.cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": provenance.usable_cpus(),
        "threads": {
            "tf_intra_op": threading.get_intra_op_parallelism_threads(),
            "tf_inter_op": threading.get_inter_op_parallelism_threads(),
            "note": "0 means TensorFlow's default (one per usable core)",
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
        "gpus": len(tf.config.list_physical_devices("GPU")),
        "load_average_at_start": _LOAD_AT_START,
        "seed": seed,
        "quick": bool(quick),
        "versions": provenance.package_versions(
            (
                "nlptoolkit",
                "keras",
                "keras-hub",
                "tensorflow",
                "numpy",
                "pandas",
                "matplotlib",
            )
        ),
        "keras_backend": os.environ.get("KERAS_BACKEND"),
    }
    info.update(extra)
    return info


def finish_manifest(info, started):
    """Adds the run's wall time and the load average at the end."""
    info["load_average_at_end"] = _load_average()
    info["wall_seconds"] = round(time.perf_counter() - started, 1)
    return info


def write_json(path, payload):
    """Writes `payload` as indented JSON, atomically
    (`nlptoolkit.atomic.atomic_write`)."""
    from nlptoolkit.atomic import atomic_write

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=1, allow_nan=False)
            f.write("\n")

    atomic_write(path, write)
    logger.info("wrote %s", path)


def load_corpus(chars=None):
    """Tiny Shakespeare's train split as one string (optionally cut)."""
    import nlptoolkit

    frame = nlptoolkit.datasets.load("tiny_shakespeare", "train")
    text = "".join(frame["text"].tolist())
    if chars:
        text = text[:chars]
    return text


def make_prompts(corpus, batch_size, length, seed):
    """`batch_size` distinct snippets of `length` characters."""
    import numpy as np

    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(corpus) - length, size=batch_size)
    return [corpus[s : s + length] for s in starts.tolist()]


def build_generator(backbone, corpus, fit_seconds, seed, **sizes):
    """A char TextGenerator fitted for about `fit_seconds` seconds.

    Decoding speed does not depend on the weights; the short fit only
    builds the model and its character vocabulary through the public API.
    """
    import nlptoolkit

    generator = nlptoolkit.TextGenerator(
        backbone, tokenizer="char", dropout=0.0, seed=seed, **sizes
    )
    start = time.perf_counter()
    history = generator.fit(
        corpus,
        epochs=1,
        batch_size=16,
        verbose=0,
        max_seconds=fit_seconds,
    )
    seconds = time.perf_counter() - start
    model = generator.model
    info = {
        "backbone": backbone,
        "vocabulary_size": len(generator.tokenizer.vocabulary),
        "parameters": int(model.count_params()),
        "fit_seconds_limit": fit_seconds,
        "fit_wall_seconds": round(seconds, 2),
        "fit_final_loss": float(history.history["loss"][-1]),
        **sizes,
    }
    logger.info("built %s: %s", backbone, info)
    return generator, info


def median(values):
    return float(statistics.median(values)) if values else None


def window_median(positions, values, center, half_width):
    """Median of `values` whose position is within `half_width` of
    `center` (a centred window, clipped where the positions end)."""
    chosen = [
        v
        for p, v in zip(positions, values, strict=True)
        if abs(p - center) <= half_width
    ]
    return median(chosen)


def rolling_median(xs, ys, half_width):
    """`window_median` at every x (for smoothed plot lines)."""
    out = []
    n = len(xs)
    for i in range(n):
        lo = max(0, i - half_width)
        hi = min(n, i + half_width + 1)
        out.append(statistics.median(ys[lo:hi]))
    return out


def rounded(value, digits=4):
    if value is None:
        return None
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    return value
