"""Scaling: train and inference time against sequence length, LSTM vs
Transformer.

Two models per backbone, of the same sizes (hidden 128, feed-forward 256,
2 layers, 4 heads; each task's other defaults: the classifier's LSTM is
bidirectional with dropout 0.3, the generator's is unidirectional, no
dropout), built through the public API with a short `fit` (a couple of
seconds: the weights are near random, which does not change the cost of
a step):

- a char-level `nlptoolkit.TextGenerator` with `sequence_length=1024`
  (fitted on Tiny Shakespeare);
- a word-level `nlptoolkit.TextClassifier` with `sequence_length=1024`
  (fitted on the first SST-2 training sentences).

At each sequence length L (64, 128, 256, 512, 1024), on real text (Tiny
Shakespeare, no padding in any row), at a fixed batch B = 8:

- `train_lm`: one training step of the generator's model
  (`model.train_on_batch` on B windows of L characters and their next
  characters; the step `fit` runs), seconds per step and microseconds per
  token (step / (B x L));
- `train_clf`: one training step of the classifier's model on B texts
  cut to L word tokens (`clf.encode(texts, L)`);
- `decode_step`: one cached decoding step of `TextGenerator.generate(...,
  decode="stepwise")` with `InferenceClock`, from B prompts of L - 17
  characters (+ [BOS]) and 16 new tokens, so that the sequence (and the
  Transformer's preallocated KV cache) is L long: the median of the
  15 steps after the prefill, ms per step; `decode_prefill` is the
  prefill cycle (the prompt in, the first token out);
- `predict`: one predict batch of the classifier's model
  (`clf.model.predict_on_batch` on the B x L ids), ms per batch.

Every (length, backbone, measurement) is warmed up twice (traces), then
measured `repeats` times, the repeats interleaved over lengths and
backbones (a burst of load on this shared machine then hits different
configurations); each figure is the median. `exponent` is the slope of a
least-squares line through log(time) against log(L): 1 is linear, 2
quadratic. A table and a log-log plot (`scaling.png`) are written beside
the JSON.

Run `python benchmarks/scaling.py` (about 5-6 minutes on 2 cores shared
with other trainings) or `python benchmarks/scaling.py --quick` (lengths
64-256, 2 repeats, about 2 minutes).
"""

import logging
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.scaling")

MEASUREMENTS = ("train_lm", "train_clf", "decode", "predict")
FULL = {
    "lengths": [64, 128, 256, 512, 1024],
    "repeats": 5,
    "fit_seconds": 2.0,
}
QUICK = {
    "lengths": [64, 128, 256],
    "repeats": 2,
    "fit_seconds": 1.0,
}
# Metrics of a row: (key, label, unit) as the table and the plot show them.
METRICS = (
    ("train_lm_step_s", "LM train step", "s"),
    ("train_lm_us_per_token", "LM train, per token", "µs"),
    ("train_clf_step_s", "classifier train step", "s"),
    ("train_clf_us_per_token", "classifier train, per token", "µs"),
    ("decode_step_ms", "cached decoding step", "ms"),
    ("decode_prefill_ms", "decoding prefill", "ms"),
    ("predict_batch_ms", "classifier predict batch", "ms"),
    ("predict_us_per_token", "classifier predict, per token", "µs"),
)


def parse_args(argv):
    parser = _common.benchmark_parser(__doc__, "lengths 64-256, 2 repeats")
    parser.add_argument("--backbones", default="lstm,transformer")
    parser.add_argument("--lengths", help="comma-separated sequence lengths")
    parser.add_argument("--repeats", type=int)
    parser.add_argument(
        "--warmup-calls",
        type=int,
        default=2,
        help="unmeasured calls of each configuration first (traces)",
    )
    parser.add_argument("--fit-seconds", type=float)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--new-tokens",
        type=int,
        default=16,
        help="tokens generated per decode call (the first is the prefill)",
    )
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--intermediate-dim", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument(
        "--corpus-chars",
        type=int,
        default=300_000,
        help="characters of Tiny Shakespeare (train) to use; 0 = all",
    )
    parser.add_argument(
        "--classifier-rows",
        type=int,
        default=256,
        help="SST-2 training sentences the classifier is fitted on",
    )
    args = parser.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    for key in settings:
        value = getattr(args, key, None)
        if value is not None:
            if key == "lengths":
                value = [int(v) for v in value.split(",") if v.strip()]
            settings[key] = value
    settings["lengths"] = sorted(settings["lengths"])
    if settings["lengths"][0] <= args.new_tokens + 1:
        parser.error(
            f"--lengths must exceed --new-tokens + 1 = {args.new_tokens + 1}"
        )
    settings.update(
        backbones=args.backbones.split(","),
        batch_size=args.batch_size,
        warmup_calls=args.warmup_calls,
        new_tokens=args.new_tokens,
        context=max(settings["lengths"]),
        sizes={
            "hidden_dim": args.hidden_dim,
            "intermediate_dim": args.intermediate_dim,
            "num_layers": args.num_layers,
            "num_heads": args.num_heads,
        },
    )
    return args, settings


def exponent(lengths, values):
    """Slope of the least-squares line of log(value) on log(length)."""
    import numpy as np

    pairs = [(x, v) for x, v in zip(lengths, values, strict=True) if v]
    if len(pairs) < 2:
        return None
    xs = np.log([x for x, _ in pairs])
    ys = np.log([v for _, v in pairs])
    return float(np.polyfit(xs, ys, 1)[0])


def build_classifier(backbone, settings, seed, rows):
    """A TextClassifier of the benchmark's sizes, fitted for a moment."""
    import nlptoolkit

    frame = nlptoolkit.datasets.load("sst2", "train").iloc[:rows]
    clf = nlptoolkit.TextClassifier(
        backbone, sequence_length=settings["context"], **settings["sizes"]
    )
    start = time.perf_counter()
    clf.fit(
        frame["text"].tolist(),
        frame["label"].tolist(),
        epochs=1,
        batch_size=settings["batch_size"],
        verbose=0,
        early_stopping=False,
        max_seconds=settings["fit_seconds"],
    )
    info = {
        "task": "TextClassifier",
        "backbone": backbone,
        "tokenizer": "word",
        "vocabulary_size": len(clf.tokenizer.vocabulary),
        "parameters": int(clf.model.count_params()),
        "sequence_length": settings["context"],
        "fit_rows": len(frame),
        "fit_wall_seconds": round(time.perf_counter() - start, 2),
        **settings["sizes"],
    }
    logger.info("built %s classifier: %s", backbone, info)
    return clf, info


def main(argv=None):
    args, settings = parse_args(argv)
    _common.setup_environment()
    _common.set_threads(args.threads)
    started = time.perf_counter()
    command = _common.command_line(
        __file__, sys.argv[1:] if argv is None else argv
    )

    import keras
    import numpy as np

    from nlptoolkit.callbacks import InferenceClock
    from nlptoolkit.fingerprint import texts_sha256
    from nlptoolkit.preprocessing import BOS_ID

    seed = args.seed
    keras.utils.set_random_seed(seed)
    batch = settings["batch_size"]
    lengths = settings["lengths"]
    context = settings["context"]
    new_tokens = settings["new_tokens"]
    corpus = _common.load_corpus(args.corpus_chars or None)
    rng = np.random.default_rng(seed)

    generators, classifiers, models = {}, {}, []
    for backbone in settings["backbones"]:
        generators[backbone], info = _common.build_generator(
            backbone,
            corpus,
            settings["fit_seconds"],
            seed,
            sequence_length=context,
            **settings["sizes"],
        )
        info["task"] = "TextGenerator"
        info["tokenizer"] = "char"
        info["sequence_length"] = context
        models.append(info)
        classifiers[backbone], info = build_classifier(
            backbone, settings, seed, args.classifier_rows
        )
        models.append(info)

    # Inputs, the same for both backbones: B random windows of the corpus.
    starts = rng.integers(0, len(corpus) - 12 * context, size=batch)
    # LM windows: L + 1 characters -> (inputs, next characters).
    lm_inputs = {}
    prompts = {}
    for length in lengths:
        texts = [corpus[s : s + length + 1] for s in starts.tolist()]
        for backbone in settings["backbones"]:
            tokenizer = generators[backbone].tokenizer
            ids = tokenizer.tokenize(texts, length + 1).numpy()
            if np.any(ids == 0):
                raise RuntimeError("An LM window holds padding.")
            lm_inputs[(backbone, length)] = (
                ids[:, :-1].copy(),
                ids[:, 1:].copy(),
            )
        # Prompt of L - new_tokens - 1 characters + [BOS]: the sequence
        # (and the KV cache) is then exactly L tokens long.
        prompts[length] = [
            corpus[s : s + length - new_tokens - 1] for s in starts.tolist()
        ]
    # Classifier texts: about 12 characters per word token of slack.
    clf_texts = [corpus[s : s + 12 * context] for s in starts.tolist()]
    clf_inputs = {}
    for backbone in settings["backbones"]:
        word = classifiers[backbone]
        for length in lengths:
            ids = word.encode(clf_texts, length)
            if np.any(ids == 0):
                raise RuntimeError("A classifier row holds padding.")
            clf_inputs[(backbone, length)] = ids
    clf_labels = rng.integers(0, 2, size=batch).astype("int32")
    text_info = {
        "corpus": "tiny_shakespeare (train)",
        "corpus_chars": len(corpus),
        "corpus_sha256": texts_sha256([corpus]),
        "window_starts": [int(s) for s in starts],
        "classifier_fit": (
            f"first {args.classifier_rows} rows of sst2 (train)"
        ),
        "note": (
            "real text: B windows of Tiny Shakespeare at the same offsets "
            "for every length and backbone; no row holds padding; the "
            "classifier's labels for its train step are random"
        ),
    }

    def run(kind, backbone, length):
        """One measurement; returns a dict of seconds."""
        if kind == "train_lm":
            model = generators[backbone].model
            x, y = lm_inputs[(backbone, length)]
            begin = time.perf_counter()
            model.train_on_batch(x, y)
            return {"train_lm": time.perf_counter() - begin}
        if kind == "train_clf":
            model = classifiers[backbone].model
            x = clf_inputs[(backbone, length)]
            begin = time.perf_counter()
            model.train_on_batch(x, clf_labels)
            return {"train_clf": time.perf_counter() - begin}
        if kind == "predict":
            model = classifiers[backbone].model
            x = clf_inputs[(backbone, length)]
            begin = time.perf_counter()
            np.asarray(model.predict_on_batch(x))
            return {"predict": time.perf_counter() - begin}
        clock = InferenceClock(label=f"{backbone}/{length}")
        generators[backbone].generate(
            prompts[length],
            max_length=new_tokens,
            decode="stepwise",
            callbacks=[clock],
        )
        frame = clock.to_dataframe()
        steps = frame[frame["kind"] == "step"]
        prefill = frame[frame["kind"] == "prefill"]
        return {
            "decode": float(steps["seconds"].median()) if len(steps) else None,
            "prefill": float(prefill["seconds"].iloc[0])
            if len(prefill)
            else None,
            "warmup_cycles": int(frame["warmup"].sum()),
            "steps": int(len(steps)),
            "positions": (
                int(frame["position"].min()),
                int(frame["position"].max()),
            ),
            "prompt_length": int(frame["position"].min()),
        }

    configs = [
        (kind, backbone, length)
        for length in lengths
        for backbone in settings["backbones"]
        for kind in MEASUREMENTS
    ]
    for config in configs:  # warm-up: traces, excluded
        for _ in range(settings["warmup_calls"]):
            run(*config)
        logger.info("warmed up %s", config)
    samples = {config: [] for config in configs}
    for repeat in range(settings["repeats"]):
        order = list(configs) if repeat % 2 == 0 else list(configs)[::-1]
        for config in order:
            samples[config].append(run(*config))
        logger.info("repeat %d done", repeat)

    rows = []
    for length in lengths:
        for backbone in settings["backbones"]:
            got = {
                kind: samples[(kind, backbone, length)] for kind in MEASUREMENTS
            }

            def med(kind, key=None, got=got):
                values = [s[key or kind] for s in got[kind]]
                values = [v for v in values if v is not None]
                return _common.median(values)

            train_lm = med("train_lm")
            train_clf = med("train_clf")
            decode = med("decode")
            prefill = med("decode", "prefill")
            predict = med("predict")
            tokens = batch * length
            decodes = got["decode"]
            rows.append(
                {
                    "backbone": backbone,
                    "sequence_length": length,
                    "batch_size": batch,
                    "repeats": settings["repeats"],
                    "train_lm_step_s": _common.rounded(train_lm),
                    "train_lm_us_per_token": _common.rounded(
                        train_lm / tokens * 1e6
                    ),
                    "train_clf_step_s": _common.rounded(train_clf),
                    "train_clf_us_per_token": _common.rounded(
                        train_clf / tokens * 1e6
                    ),
                    "decode_step_ms": _common.rounded(decode * 1e3),
                    "decode_prefill_ms": _common.rounded(prefill * 1e3),
                    "decode_steps_per_call": decodes[0]["steps"],
                    "decode_prompt_length": decodes[0]["prompt_length"],
                    "decode_warmup_cycles": sum(
                        d["warmup_cycles"] for d in decodes
                    ),
                    "predict_batch_ms": _common.rounded(predict * 1e3),
                    "predict_us_per_token": _common.rounded(
                        predict / tokens * 1e6
                    ),
                    "complete": all(
                        d["steps"] == new_tokens - 1
                        and d["positions"][1] == length - 1
                        for d in decodes
                    ),
                }
            )
            logger.info("%s", rows[-1])

    exponents = []
    for key, label, _ in METRICS:
        entry = {"metric": key, "label": label}
        for backbone in settings["backbones"]:
            series = [r for r in rows if r["backbone"] == backbone]
            entry[backbone] = _common.rounded(
                exponent(
                    [r["sequence_length"] for r in series],
                    [r[key] for r in series],
                ),
                3,
            )
        exponents.append(entry)
    ratios = []
    if {"lstm", "transformer"} <= set(settings["backbones"]):
        for length in lengths:
            pair = {
                r["backbone"]: r for r in rows if r["sequence_length"] == length
            }
            entry = {"sequence_length": length}
            for key, _, _ in METRICS:
                if "per_token" in key:
                    continue
                lstm, transformer = pair["lstm"][key], pair["transformer"][key]
                entry[key] = (
                    _common.rounded(transformer / lstm, 3) if lstm else None
                )
            ratios.append(entry)

    output = pathlib.Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    plot_path = output / "scaling.png"
    _plot(rows, settings, plot_path)
    info = _common.manifest(
        seed,
        args.quick,
        settings=settings,
        models=models,
        text=text_info,
        bos_id=BOS_ID,
        weights=(
            f"fitted for about {settings['fit_seconds']} s (near-random); "
            "step cost does not depend on them"
        ),
    )
    payload = {
        "benchmark": "scaling",
        "title": "Scaling: time against sequence length, LSTM vs Transformer",
        "command": command,
        "manifest": _common.finish_manifest(info, started),
        "definitions": {
            "train_lm_step_s": (
                "seconds of one generator train step (model.train_on_batch, "
                f"B = {batch} windows of L characters)"
            ),
            "train_clf_step_s": (
                f"seconds of one classifier train step (B = {batch} texts "
                "cut to L word tokens)"
            ),
            "*_us_per_token": "step seconds / (B x L), in microseconds",
            "decode_step_ms": (
                "median of the cached decoding steps of "
                "TextGenerator.generate(decode='stepwise') recorded by "
                f"InferenceClock; B = {batch} prompts of L - "
                f"{new_tokens + 1} characters + [BOS], {new_tokens} new "
                "tokens: the sequence and the KV cache are L long"
            ),
            "decode_prefill_ms": (
                "the prefill cycle of the same calls (prompt in, first "
                "token out)"
            ),
            "predict_batch_ms": (
                "one classifier predict batch (model.predict_on_batch, "
                f"B = {batch} x L ids, outputs on the host)"
            ),
            "exponent": (
                "least-squares slope of log(time) on log(L) over the "
                "lengths: 1 linear, 2 quadratic"
            ),
            "transformer_over_lstm": "Transformer time / LSTM time",
            "median": (
                f"each figure is the median of {settings['repeats']} "
                f"interleaved repeats after {settings['warmup_calls']} "
                "warm-up calls"
            ),
        },
        "rows": rows,
        "exponents": exponents,
        "transformer_over_lstm": ratios,
        "plot": plot_path.name,
    }
    _common.write_json(output / "scaling.json", payload)
    keys = ["backbone", "sequence_length"] + [k for k, _, _ in METRICS]
    print("\nScaling (medians)")
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))
    print("\nExponents:", exponents)
    return payload


def _plot(rows, settings, path):
    """Log-log: train step, train per token, decode step, predict batch."""
    from matplotlib.figure import Figure

    panels = (
        (("train_lm_step_s", "train_clf_step_s"), "train step (s)"),
        (
            ("train_lm_us_per_token", "train_clf_us_per_token"),
            "train time per token (µs)",
        ),
        (("decode_step_ms", "decode_prefill_ms"), "decoding (ms)"),
        (("predict_batch_ms",), "classifier predict batch (ms)"),
    )
    styles = {0: "-", 1: "--"}
    labels = {key: label for key, label, _ in METRICS}
    colors = {"lstm": "tab:blue", "transformer": "tab:orange"}
    fig = Figure(figsize=(12, 8.5), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, (keys, title) in zip(axes, panels, strict=True):
        for backbone in settings["backbones"]:
            series = [r for r in rows if r["backbone"] == backbone]
            xs = [r["sequence_length"] for r in series]
            for index, key in enumerate(keys):
                ys = [r[key] for r in series]
                slope = exponent(xs, ys)
                tag = "" if slope is None else f" (slope {slope:.2f})"
                ax.plot(
                    xs,
                    ys,
                    styles[index],
                    marker="o",
                    color=colors.get(backbone),
                    label=f"{backbone}: {labels[key]}{tag}",
                )
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(settings["lengths"])
        ax.set_xticklabels([str(x) for x in settings["lengths"]])
        ax.set_xlabel("sequence length L (tokens)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    sizes = settings["sizes"]
    fig.suptitle(
        "Time against sequence length, batch "
        f"{settings['batch_size']}: {sizes['num_layers']} layers x "
        f"{sizes['hidden_dim']} (log-log; median of "
        f"{settings['repeats']} repeats)"
    )
    fig.savefig(path)
    logger.info("wrote %s", path)


if __name__ == "__main__":
    main()
