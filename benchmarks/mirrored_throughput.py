"""Training throughput: MirroredStrategy on 2 devices vs 1 device.

The CPU is split into two logical devices (before TensorFlow starts), and
the same small classifier (a BiLSTM, 64 wide, on 64-token texts from a
2,000-word synthetic vocabulary) is trained twice in this one process:
with ``strategy=None`` (one device) and with
``MirroredStrategy(["/cpu:0", "/cpu:1"])`` (two replicas, each half of
the global batch, gradients all-reduced). Both get one warm-up epoch
(model build and tracing), then timed one-epoch ``fit`` calls alternate
between them; throughput is rows / seconds of ``model.fit``, median over
the repeats.

On a CPU the two logical devices share the same cores and thread pools,
so this measures the overhead of the mirrored machinery, not a speed-up:
real gains need two GPUs (or more workers).

Run `python benchmarks/mirrored_throughput.py` (a few minutes on 2
cores) or `--quick`.
"""

import argparse
import logging
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.mirrored_throughput")

FULL = {"rows": 4096, "repeats": 5}
QUICK = {"rows": 1024, "repeats": 2}
SIZES = {
    "vocabulary_size": 2000,
    "sequence_length": 64,
    "hidden_dim": 64,
    "num_layers": 1,
    "dropout": 0.0,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer rows")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(_common.RESULTS_DIR))
    return parser.parse_args(argv)


def make_data(rows, seed):
    """Texts of 64 words from a 2,000-word vocabulary; the label says
    whether low-numbered words dominate."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 2000, size=(rows, SIZES["sequence_length"]))
    texts = [" ".join(f"w{i}" for i in row) for row in ids.tolist()]
    labels = ["low" if (row < 1000).mean() > 0.5 else "high" for row in ids]
    return texts, labels


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    _common.setup_environment()
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import nlptoolkit

    started = time.perf_counter()
    settings = QUICK if args.quick else FULL
    command = _common.command_line(__file__, sys.argv[1:])
    texts, labels = make_data(settings["rows"], args.seed)
    strategies = {
        1: None,
        2: tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
    }
    tasks, times = {}, {1: [], 2: []}
    for devices, strategy in strategies.items():
        task = nlptoolkit.TextClassifier(
            "lstm", seed=args.seed, strategy=strategy, **SIZES
        )
        start = time.perf_counter()
        task.fit(
            texts,
            labels,
            epochs=1,
            batch_size=args.batch_size,
            verbose=0,
            early_stopping=False,
        )
        logger.info(
            "%d device(s): warm-up epoch %.1f s",
            devices,
            time.perf_counter() - start,
        )
        tasks[devices] = task
    for repeat in range(settings["repeats"]):
        order = (1, 2) if repeat % 2 == 0 else (2, 1)
        for devices in order:
            tasks[devices].fit(
                texts,
                labels,
                epochs=1,
                batch_size=args.batch_size,
                verbose=0,
                early_stopping=False,
            )
            seconds = tasks[devices].train_seconds
            times[devices].append(seconds)
            logger.info(
                "repeat %d, %d device(s): %.2f s, %.0f rows/s",
                repeat,
                devices,
                seconds,
                len(texts) / seconds,
            )
    rows = []
    single = len(texts) / _common.median(times[1])
    for devices in (1, 2):
        rate = len(texts) / _common.median(times[devices])
        rows.append(
            {
                "devices": devices,
                "strategy": "none"
                if devices == 1
                else "MirroredStrategy(/cpu:0, /cpu:1)",
                "global_batch": args.batch_size,
                "rows": len(texts),
                "median_epoch_s": _common.rounded(
                    _common.median(times[devices])
                ),
                "samples_per_second": _common.rounded(rate),
                "vs_one_device": _common.rounded(rate / single, 3),
            }
        )
        print(
            f"{devices} device(s): {rate:8.1f} samples/s "
            f"(median of {len(times[devices])} epochs, "
            f"{rate / single:.2f}x one device)"
        )
    info = _common.manifest(
        args.seed,
        args.quick,
        settings={**settings, **SIZES, "batch_size": args.batch_size},
    )
    payload = {
        "benchmark": "mirrored_throughput",
        "title": "Training throughput: MirroredStrategy, 2 vs 1 CPU device",
        "command": command,
        "manifest": _common.finish_manifest(info, started),
        "definitions": {
            "samples_per_second": "training rows / seconds of one "
            "`model.fit` epoch (median over the repeats, warm-up excluded)",
            "vs_one_device": "samples_per_second / that of one device",
        },
        "notes": [
            "Two logical devices on one CPU share its cores: the figure is "
            "the cost of mirroring (split batch, all-reduce), not a "
            "speed-up. Multiple GPUs or workers are where it pays off.",
        ],
        "rows": rows,
        "epoch_seconds": {str(k): v for k, v in times.items()},
    }
    output = pathlib.Path(args.output)
    _common.write_json(output / "mirrored_throughput.json", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
