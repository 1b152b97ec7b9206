"""Overhead: nlptoolkit's TextClassifier against the same model in plain Keras.

For each backbone (`lstm`, `transformer`), a default-size
`nlptoolkit.TextClassifier` (128 wide, one layer, dropout 0.3; the LSTM
bidirectional) is fitted on the SST-2 training sentences, and the same
architecture is written in plain Keras (`keras.layers.Embedding`,
`Bidirectional(LSTM)`, keras-hub's `TokenAndPositionEmbedding` and
`TransformerEncoder`, the same sizes, padding mask, pooling and softmax
`Dense`), compiled with the same loss and metric and the same optimizer
(AdamW, weight decay 0.01, clipnorm 1, linear warm-up over 10% of the
steps then cosine decay, here Keras' own `CosineDecay`). The plain model
gets the classifier's weights copied in, and its outputs are checked
against the classifier's (`same_outputs`): it is the same function.

Both are trained one epoch per call with the same batch size on the same
rows (the plain model on the token ids `clf.encode(texts)` computed once),
so both run the same number of steps; both `predict` the same rows at the
same batch size. The calls are alternated in one process (the order
rotates every round: A B, B A, ...), after warm-up calls that trace every
compiled function, and each figure is a median over the rounds. The
ratio is nlptoolkit's samples/s over plain Keras' (above 1: nlptoolkit is
faster), the median of the per-round ratios.

What is compared:

- fit, `model`: the `model.fit` call inside `clf.fit(texts, labels,
  epochs=1, early_stopping=False)` (timed by the task as
  `clf.train_seconds`: the TaskModel, nlptoolkit's optimizer and schedule
  and callbacks, on token ids) against plain `model.fit(ids, labels)`.
- fit, `end-to-end`: the wall time of that `clf.fit` call from raw strings
  (input checks, label ids, tokenising every row, re-arming the schedule)
  against the same plain `model.fit` on ids.
- fit, `default`: `clf.fit(texts, labels, epochs=1)` with the defaults:
  10% of the rows are held out (stratified) for early stopping and
  evaluated after the epoch, so it trains on 90% of the rows; its
  samples/s counts the rows passed in. Shown for accounting, not a like
  for like comparison.
- fit, `re-traced`: the model-level call after dropping the compiled
  train function, as every `fit` call after the first did before the
  schedule kept its cycle in a variable (`nlptoolkit.training.rearm`).
- predict, `model`: `clf.model.predict(ids)` against plain
  `model.predict(ids)`; `end-to-end`: `clf.predict(texts)` (tokenising
  included) against the same plain call.

Op determinism stays off (the classifier is built with `seed=None`, the
default; `keras.utils.set_random_seed(seed)` seeds the weights):
`TextClassifier(seed=...)` turns it on for the whole process, for both
models alike.

Each row also gives a 95% bootstrap interval of its median ratio and the
ratio of process CPU times, which other work on a shared machine moves
less than wall time. `--resummarise` recomputes the figures of an
existing JSON file from its per-round seconds.

Run `python benchmarks/overhead.py` (20 minutes on 2 cores shared with
other trainings, load average 2-9; less on an idle machine) or
`python benchmarks/overhead.py --quick` (about 2-3 minutes: 1,536 rows,
fewer rounds).
"""

import logging
import math
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.overhead")

TARGET = 0.97
FULL = {
    "rows": 0,  # all 6,920 training sentences
    "fit_rounds": 7,
    "retraced_rounds": 3,
    "predict_rounds": 21,
    "warmup_calls": 1,
}
QUICK = {
    "rows": 1536,
    "fit_rounds": 3,
    "retraced_rounds": 2,
    "predict_rounds": 9,
    "warmup_calls": 1,
}
FIT_ARMS = ("nlptoolkit", "plain", "default", "retraced")
PREDICT_ARMS = ("nlptoolkit", "nlptoolkit_model", "plain")
CALLS = {
    ("fit", "nlptoolkit"): (
        "clf.fit(texts, labels, epochs=1, early_stopping=False)"
    ),
    ("fit", "default"): "clf.fit(texts, labels, epochs=1)",
    ("fit", "retraced"): (
        "clf.model.make_train_function(force=True); clf.fit(texts, "
        "labels, epochs=1, early_stopping=False)"
    ),
    ("fit", "plain"): "model.fit(ids, labels, epochs=1)",
    ("predict", "nlptoolkit"): "clf.predict(texts)",
    ("predict", "nlptoolkit_model"): "clf.model.predict(ids)",
    ("predict", "plain"): "model.predict(ids)",
}

DEFINITIONS = {
    "samples_per_s": "rows / median wall seconds of the call",
    "ratio": (
        "median over the alternated rounds of plain seconds / "
        "nlptoolkit seconds (= nlptoolkit samples/s over plain "
        f"samples/s; >= {TARGET} is the target)"
    ),
    "ratio_ci95": (
        "95% bootstrap interval of that median (2,000 resamples of the rounds)"
    ),
    "target_within_ci": f"whether the interval reaches {TARGET}",
    "ratio_of_medians": "the two medians' samples/s, divided",
    "ratio_best": "fastest plain call / fastest nlptoolkit call",
    "cpu_ratio": (
        "median process CPU seconds (all threads) of plain over "
        "nlptoolkit's (for fit/model: those of the whole clf.fit)"
    ),
    "model": (
        "fit: the model.fit inside clf.fit (clf.train_seconds), on "
        "token ids; predict: clf.model.predict(ids)"
    ),
    "end-to-end": (
        "the user-facing verb on raw strings: clf.fit(texts, "
        "labels, epochs=1, early_stopping=False) / "
        "clf.predict(texts), tokenisation included, against the "
        "plain model on ids tokenised once"
    ),
    "default": (
        "clf.fit(texts, labels, epochs=1) as defaults run it: "
        "trains on 90% of the rows, evaluates the held-out 10%; "
        "samples/s over the rows passed in"
    ),
    "re-traced": (
        "model-level fit after make_train_function(force=True): "
        "what every fit call after the first paid before the fix"
    ),
    "encode_share_of_predict": (
        "clf.encode(texts) seconds / clf.predict(texts) seconds"
    ),
}


def parse_args(argv):
    parser = _common.benchmark_parser(__doc__, "1,536 rows, fewer rounds")
    parser.add_argument("--backbones", default="lstm,transformer")
    parser.add_argument("--dataset", default="sst2")
    parser.add_argument("--split", default="train")
    parser.add_argument(
        "--rows", type=int, help="first N rows of the split (0: all)"
    )
    parser.add_argument("--vocabulary-size", type=int, default=20000)
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--intermediate-dim", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--predict-batch-size", type=int, default=64)
    parser.add_argument("--fit-rounds", type=int)
    parser.add_argument("--retraced-rounds", type=int)
    parser.add_argument("--predict-rounds", type=int)
    parser.add_argument("--warmup-calls", type=int)
    parser.add_argument(
        "--resummarise",
        action="store_true",
        help="recompute the figures of the existing JSON (no runs)",
    )
    parser.add_argument(
        "--no-extra-arms",
        action="store_true",
        help="skip the `default` and `re-traced` fit arms",
    )
    args = parser.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    for key in settings:
        value = getattr(args, key)
        if value is not None:
            settings[key] = value
    settings.update(
        backbones=args.backbones.split(","),
        dataset=args.dataset,
        split=args.split,
        batch_size=args.batch_size,
        predict_batch_size=args.predict_batch_size,
        fit_arms=list(FIT_ARMS[:2] if args.no_extra_arms else FIT_ARMS),
        predict_arms=list(PREDICT_ARMS),
        sizes={
            "vocabulary_size": args.vocabulary_size,
            "hidden_dim": args.hidden_dim,
            "intermediate_dim": args.intermediate_dim,
            "num_layers": args.num_layers,
            "num_heads": args.num_heads,
            "dropout": args.dropout,
        },
    )
    return args, settings


def load_data(settings):
    """Texts and labels of the split, and where they came from."""
    import nlptoolkit
    from nlptoolkit.datasets import get_info
    from nlptoolkit.fingerprint import texts_sha256

    frame = nlptoolkit.datasets.load(settings["dataset"], settings["split"])
    if settings["rows"]:
        frame = frame.iloc[: settings["rows"]]
    texts = frame["text"].tolist()
    labels = frame["label"].tolist()
    info = get_info(settings["dataset"])
    split = info.splits.get(settings["split"], settings["split"])
    try:
        file_sha256 = info.file_for(settings["split"]).sha256
    except Exception:  # noqa: BLE001 - provenance never fails a run
        file_sha256 = None
    return (
        texts,
        labels,
        {
            "name": info.name,
            "split": settings["split"],
            "file": split,
            "file_sha256": file_sha256,
            "rows": len(texts),
            "texts_sha256": texts_sha256(texts),
            "note": "the first `rows` rows of the split, in file order",
        },
    )


def build_plain(keras, keras_hub, backbone, config, num_classes):
    """The classifier's architecture in plain Keras (no nlptoolkit code)."""
    ops = keras.ops
    dropout = config["dropout"]
    if backbone == "lstm":
        ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        mask = ops.not_equal(ids, 0)
        x = keras.layers.Embedding(
            config["vocabulary_size"], config["embedding_dim"]
        )(ids)
        x = keras.layers.Dropout(dropout)(x)
        units = config["hidden_dim"] // (2 if config["bidirectional"] else 1)
        for _ in range(config["num_layers"]):
            lstm = keras.layers.LSTM(
                units, return_sequences=True, return_state=True
            )
            if config["bidirectional"]:
                lstm = keras.layers.Bidirectional(lstm)
            outputs = lstm(x, mask=mask)
            x, states = outputs[0], outputs[1:]
            x = keras.layers.Dropout(dropout)(x)
        if config["bidirectional"]:
            pooled = ops.concatenate([states[0], states[2]], axis=-1)
        else:
            pooled = states[0]
    else:
        ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        mask = ops.not_equal(ids, 0)
        x = keras_hub.layers.TokenAndPositionEmbedding(
            vocabulary_size=config["vocabulary_size"],
            sequence_length=config["sequence_length"],
            embedding_dim=config["hidden_dim"],
        )(ids)
        x = keras.layers.Dropout(dropout)(x)
        for _ in range(config["num_layers"]):
            x = keras_hub.layers.TransformerEncoder(
                intermediate_dim=config["intermediate_dim"],
                num_heads=config["num_heads"],
                dropout=dropout,
                activation="gelu",
                normalize_first=True,
            )(x, padding_mask=mask)
        x = keras.layers.LayerNormalization(epsilon=1e-5)(x)
        weights = ops.cast(mask, x.dtype)[:, :, None]
        pooled = ops.sum(x * weights, axis=1) / ops.maximum(
            ops.sum(weights, axis=1), 1.0
        )
    pooled = keras.layers.Dropout(dropout)(pooled)
    probabilities = keras.layers.Dense(
        num_classes, activation="softmax", dtype="float32"
    )(pooled)
    return keras.Model(ids, probabilities, name=f"plain_{backbone}")


def plain_optimizer(keras, peak, steps):
    """AdamW + linear warm-up (10%) + cosine decay, from Keras alone."""
    warmup = int(round(0.1 * steps))
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(steps - warmup, 1),
        alpha=0.0,
        warmup_target=peak,
        warmup_steps=warmup,
    )
    return keras.optimizers.AdamW(schedule, weight_decay=0.01, clipnorm=1.0)


def count_traces(model, counts, key):
    """Counts the traces of `model`'s train step into `counts[key]`.

    Set before the train function is made (it binds `train_step` then);
    the wrapper's Python runs only while TensorFlow traces the step.
    """
    step = model.train_step

    def train_step(data):
        counts[key] += 1
        return step(data)

    model.train_step = train_step
    model.make_train_function(force=True)


def timed(call):
    """Runs `call`; returns (its result, wall seconds, CPU seconds)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def rotate(arms, index):
    shift = index % len(arms)
    return arms[shift:] + arms[:shift]


def bootstrap_ci(values, draws=2000, seed=0):
    """95% bootstrap interval of the median of `values`."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(draws, len(values)))
    medians = np.median(values[picks], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return [float(low), float(high)]


def summarise(row):
    """The figures of one row from its per-round seconds (also used by
    `--resummarise` on an existing JSON file)."""
    ours, theirs = row["nlptoolkit_s"], row["plain_s"]
    paired = [t / o for o, t in zip(ours, theirs, strict=True)]
    ratio = _common.median(paired)
    ours_rate = row["rows"] / _common.median(ours)
    theirs_rate = row["rows"] / _common.median(theirs)
    low, high = bootstrap_ci(paired)
    row.update(
        {
            "rounds": len(paired),
            "nlptoolkit_samples_per_s": _common.rounded(ours_rate),
            "plain_samples_per_s": _common.rounded(theirs_rate),
            "ratio": _common.rounded(ratio, 3),
            "ratio_ci95": [_common.rounded(low, 3), _common.rounded(high, 3)],
            "ratio_of_medians": _common.rounded(ours_rate / theirs_rate, 3),
            "ratio_best": _common.rounded(min(theirs) / min(ours), 3),
            "ratio_min": _common.rounded(min(paired), 3),
            "ratio_max": _common.rounded(max(paired), 3),
        }
    )
    if row["level"] in ("model", "end-to-end"):
        row["meets_target"] = ratio >= TARGET
        row["target_within_ci"] = high >= TARGET
    else:  # accounting rows: no target
        row["meets_target"] = None
        row["target_within_ci"] = None
    return row


def comparison(verb, level, backbone, ours, theirs, rows, arm, base_arm):
    """One result row: samples/s of `ours` against `theirs` (lists of
    (wall, cpu) seconds, one per round, the rounds paired)."""
    cpu_ratio = _common.median([c for _, c in theirs]) / _common.median(
        [c for _, c in ours]
    )
    row = {
        "backbone": backbone,
        "verb": verb,
        "level": level,
        "nlptoolkit_call": CALLS[(verb, arm)],
        "plain_call": CALLS[(verb, base_arm)],
        "rows": rows,
        "cpu_ratio": _common.rounded(cpu_ratio, 3),
        "nlptoolkit_s": [round(w, 4) for w, _ in ours],
        "plain_s": [round(w, 4) for w, _ in theirs],
        "nlptoolkit_cpu_s": [round(c, 4) for _, c in ours],
        "plain_cpu_s": [round(c, 4) for _, c in theirs],
    }
    return summarise(row)


def run_backbone(backbone, texts, labels, settings, seed):
    """Every fit and predict arm of one backbone; returns (rows, info)."""
    import keras
    import keras_hub
    import numpy as np

    import nlptoolkit

    batch = settings["batch_size"]
    predict_batch = settings["predict_batch_size"]
    keras.utils.set_random_seed(seed)
    clf = nlptoolkit.TextClassifier(backbone, **settings["sizes"])
    fit_kwargs = {"epochs": 1, "batch_size": batch, "verbose": 0}
    # The first call builds the model and the vocabulary, and traces.
    _, first_fit_s, _ = timed(
        lambda: clf.fit(texts, labels, early_stopping=False, **fit_kwargs)
    )
    model = clf.model
    ids = clf.encode(texts)
    index = {label: i for i, label in enumerate(clf.labels)}
    y = np.asarray([index[label] for label in labels], dtype="int32")
    config = model.backbone.get_config()
    seq_len = model.task_config["sequence_length"]
    if config.get("pooling", "last") != "last":
        raise RuntimeError("The plain LSTM mirrors pooling='last' only.")
    plain = build_plain(keras, keras_hub, backbone, config, len(clf.labels))
    ours_shapes = [tuple(w.shape) for w in model.weights]
    plain_shapes = [tuple(w.shape) for w in plain.weights]
    same_weights = ours_shapes == plain_shapes
    max_diff = None
    if same_weights:
        plain.set_weights(model.get_weights())
        probe = ids[: min(len(ids), 256)]
        max_diff = float(
            np.max(
                np.abs(
                    plain.predict(probe, verbose=0)
                    - model.predict(probe, verbose=0)
                )
            )
        )
    steps = math.ceil(len(texts) / batch)
    peak = clf.training_config["learning_rate"]
    plain.compile(
        optimizer=plain_optimizer(keras, peak, steps),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    info = {
        "backbone": backbone,
        "parameters": int(model.count_params()),
        "plain_parameters": int(plain.count_params()),
        "sequence_length": int(seq_len),
        "token_ids_shape": list(ids.shape),
        "vocabulary_size": int(config["vocabulary_size"]),
        "tokenizer_vocabulary": len(clf.tokenizer.vocabulary),
        "steps_per_epoch": steps,
        "learning_rate": peak,
        "same_weight_shapes": same_weights,
        "max_abs_output_diff": _common.rounded(max_diff),
        "same_outputs": max_diff is not None and max_diff < 1e-4,
        "jit_compile": {
            "nlptoolkit": bool(model.jit_compile),
            "plain": bool(plain.jit_compile),
        },
        "first_fit_s": round(first_fit_s, 3),
        **settings["sizes"],
    }
    logger.info("%s: %s", backbone, info)

    # Count the traces of each model's train step (its Python body runs
    # only while TensorFlow traces it): none may happen once warmed up.
    traces = {"nlptoolkit": 0, "plain": 0}
    count_traces(model, traces, "nlptoolkit")
    count_traces(plain, traces, "plain")

    def fit_arm(arm):
        if arm == "plain":
            _, wall, cpu = timed(
                lambda: plain.fit(ids, y, shuffle=True, **fit_kwargs)
            )
            return {"wall": (wall, cpu)}
        if arm == "retraced":
            model.make_train_function(force=True)
        early = arm == "default"
        _, wall, cpu = timed(
            lambda: clf.fit(texts, labels, early_stopping=early, **fit_kwargs)
        )
        return {"wall": (wall, cpu), "model": (clf.train_seconds, None)}

    def predict_arm(arm):
        if arm == "nlptoolkit":
            call = lambda: clf.predict(texts, batch_size=predict_batch)  # noqa: E731
        elif arm == "nlptoolkit_model":
            call = lambda: model.predict(  # noqa: E731
                ids, batch_size=predict_batch, verbose=0
            )
        else:
            call = lambda: plain.predict(  # noqa: E731
                ids, batch_size=predict_batch, verbose=0
            )
        out, wall, cpu = timed(call)
        return (wall, cpu), out

    # Phase 1: nlptoolkit, plain and the default fit, rotated. Phase 2:
    # the re-traced fit against plain, after phase 1 (dropping the train
    # function would make the next calls trace their batch shapes again).
    fit_arms = [a for a in settings["fit_arms"] if a != "retraced"]
    for _ in range(settings["warmup_calls"]):
        for arm in fit_arms:
            fit_arm(arm)
    traces_before = dict(traces)
    fits = {arm: [] for arm in settings["fit_arms"]}
    for round_index in range(settings["fit_rounds"]):
        for arm in rotate(fit_arms, round_index):
            fits[arm].append(fit_arm(arm))
        logger.info(
            "%s fit round %d: %s",
            backbone,
            round_index,
            {arm: round(fits[arm][-1]["wall"][0], 3) for arm in fit_arms},
        )
    measured_traces = {k: traces[k] - traces_before[k] for k in traces}
    plain_phase2 = []
    if "retraced" in settings["fit_arms"]:
        for round_index in range(settings["retraced_rounds"]):
            for arm in rotate(["retraced", "plain"], round_index):
                result = fit_arm(arm)
                if arm == "plain":
                    plain_phase2.append(result)
                else:
                    fits["retraced"].append(result)
    encode_s = []
    for _ in range(3):
        _, wall, _ = timed(lambda: clf.encode(texts))
        encode_s.append(wall)

    predict_arms = settings["predict_arms"]
    for _ in range(settings["warmup_calls"]):
        for arm in predict_arms:
            predict_arm(arm)
    predicts = {arm: [] for arm in predict_arms}
    outputs = {}
    for round_index in range(settings["predict_rounds"]):
        for arm in rotate(predict_arms, round_index):
            seconds, outputs[arm] = predict_arm(arm)
            predicts[arm].append(seconds)
    # Fitting moved the two models' weights apart; the outputs are only
    # checked for shape here (same_outputs checks the function).
    shapes_match = len({tuple(o.shape) for o in outputs.values()}) == 1

    rows = len(texts)
    plain_fit = [f["wall"] for f in fits["plain"]]
    # The model-level bracket has no CPU time of its own: the call's is used.
    model_fit = [(f["model"][0], f["wall"][1]) for f in fits["nlptoolkit"]]
    results = [
        comparison(
            "fit",
            "model",
            backbone,
            model_fit,
            plain_fit,
            rows,
            "nlptoolkit",
            "plain",
        ),
        comparison(
            "fit",
            "end-to-end",
            backbone,
            [f["wall"] for f in fits["nlptoolkit"]],
            plain_fit,
            rows,
            "nlptoolkit",
            "plain",
        ),
    ]
    if "default" in fits:
        results.append(
            comparison(
                "fit",
                "default",
                backbone,
                [f["wall"] for f in fits["default"]],
                plain_fit,
                rows,
                "default",
                "plain",
            )
        )
    if fits.get("retraced"):
        results.append(
            comparison(
                "fit",
                "re-traced",
                backbone,
                [(f["model"][0], f["wall"][1]) for f in fits["retraced"]],
                [f["wall"] for f in plain_phase2],
                rows,
                "retraced",
                "plain",
            )
        )
    results += [
        comparison(
            "predict",
            "model",
            backbone,
            predicts["nlptoolkit_model"],
            predicts["plain"],
            rows,
            "nlptoolkit_model",
            "plain",
        ),
        comparison(
            "predict",
            "end-to-end",
            backbone,
            predicts["nlptoolkit"],
            predicts["plain"],
            rows,
            "nlptoolkit",
            "plain",
        ),
    ]
    info.update(
        {
            "encode_s": _common.rounded(_common.median(encode_s)),
            "encode_share_of_predict": _common.rounded(
                _common.median(encode_s)
                / _common.median([w for w, _ in predicts["nlptoolkit"]]),
                3,
            ),
            "fit_wall_minus_model_s": _common.rounded(
                _common.median(
                    [f["wall"][0] - f["model"][0] for f in fits["nlptoolkit"]]
                )
            ),
            "train_step_traces_while_measured": measured_traces,
            "predict_output_shapes_match": shapes_match,
        }
    )
    for row in results:
        logger.info(
            "%s %s %s: ratio %s (%s vs %s samples/s)",
            backbone,
            row["verb"],
            row["level"],
            row["ratio"],
            row["nlptoolkit_samples_per_s"],
            row["plain_samples_per_s"],
        )
    return results, info


def acceptance_of(rows, models):
    targets = [r for r in rows if r["level"] in ("model", "end-to-end")]
    acceptance = {
        f"{r['backbone']}/{r['verb']}/{r['level']}_ge_{TARGET}": r[
            "meets_target"
        ]
        for r in targets
    }
    acceptance["same_outputs"] = all(m["same_outputs"] for m in models)
    acceptance["no_trace_while_measured"] = all(
        not any(m["train_step_traces_while_measured"].values()) for m in models
    )
    return acceptance


def notes_of(rows, manifest):
    """What to keep in mind reading the figures, from the run itself."""
    notes = []
    start = manifest.get("load_average_at_start") or [None]
    end = manifest.get("load_average_at_end") or [None]
    targets = [r for r in rows if r["level"] in ("model", "end-to-end")]
    if targets:
        cpu = [r["cpu_ratio"] for r in targets]
        spread = [r["ratio_min"] for r in targets] + [
            r["ratio_max"] for r in targets
        ]
        notes.append(
            "Shared machine: 1-minute load average "
            f"{_fmt_load(start[0])} at the start, {_fmt_load(end[0])} at "
            f"the end, on {manifest.get('cpus_usable')} usable cores. "
            "Single rounds' ratios ranged "
            f"{min(spread):.2f}-{max(spread):.2f}; the process CPU-time "
            f"ratios, less sensitive to other work, "
            f"{min(cpu):.3f}-{max(cpu):.3f}."
        )
    below = [r for r in targets if not r["meets_target"]]
    for row in below:
        low, high = row["ratio_ci95"]
        verdict = (
            "its 95% interval reaches the target: not distinguishable "
            "from noise in this run"
            if row["target_within_ci"]
            else "its 95% interval stays below the target"
        )
        notes.append(
            f"{row['backbone']} {row['verb']} ({row['level']}): ratio "
            f"{row['ratio']} [{low}, {high}], CPU-time ratio "
            f"{row['cpu_ratio']}; {verdict}."
        )
    return notes


def _fmt_load(value):
    return "?" if value is None else f"{value:.1f}"


def resummarise(path):
    """Recompute every figure of an existing JSON file from its per-round
    seconds (no run)."""
    import json

    path = pathlib.Path(path)
    payload = json.loads(path.read_text(encoding="utf-8"))
    rows = [summarise(row) for row in payload["rows"]]
    manifest = payload["manifest"]
    payload["rows"] = rows
    payload["definitions"] = DEFINITIONS
    payload["acceptance"] = acceptance_of(rows, manifest["models"])
    payload["notes"] = notes_of(rows, manifest)
    _common.write_json(path, payload)
    return payload


def main(argv=None):
    args, settings = parse_args(argv)
    if args.resummarise:
        _common.setup_environment()
        return resummarise(pathlib.Path(args.output) / "overhead.json")
    _common.setup_environment()
    _common.set_threads(args.threads)
    started = time.perf_counter()
    command = _common.command_line(
        __file__, sys.argv[1:] if argv is None else argv
    )
    texts, labels, dataset = load_data(settings)
    logger.info("dataset: %s", dataset)
    rows, models = [], []
    for backbone in settings["backbones"]:
        results, info = run_backbone(
            backbone, texts, labels, settings, args.seed
        )
        rows += results
        models.append(info)
    acceptance = acceptance_of(rows, models)
    info = _common.manifest(
        args.seed,
        args.quick,
        settings=settings,
        dataset=dataset,
        models=models,
        op_determinism=False,
        weights=(
            "random (keras.utils.set_random_seed(seed)), then trained one "
            "epoch per call; copied into the plain model before the "
            "output check"
        ),
    )
    payload = {
        "benchmark": "overhead",
        "title": "Overhead: nlptoolkit vs the same model in plain Keras",
        "command": command,
        "manifest": _common.finish_manifest(info, started),
        "target": TARGET,
        "definitions": DEFINITIONS,
        "notes": notes_of(rows, info),
        "rows": rows,
        "acceptance": acceptance,
    }
    output = pathlib.Path(args.output)
    _common.write_json(output / "overhead.json", payload)
    keys = [
        "backbone",
        "verb",
        "level",
        "nlptoolkit_samples_per_s",
        "plain_samples_per_s",
        "ratio",
        "ratio_of_medians",
        "cpu_ratio",
    ]
    print("\nOverhead (nlptoolkit / plain Keras, samples/s)")
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))
    print("\nAcceptance:", acceptance)
    return payload


if __name__ == "__main__":
    main()
