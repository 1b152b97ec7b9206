"""Training defaults: warm-up + cosine AdamW with early stopping against a
plain constant-rate Adam fit, and the LR finder against a fixed-LR sweep.

On SST-2 (sentence level: train / validation / test) and TREC-6 (train /
test), a default-size `nlptoolkit.TextClassifier` (LSTM) is trained with
`fit(..., epochs=5, batch_size=32)` in these configurations, side by side
in one process with the same seeds:

- `adam-constant`: the old defaults, `optimizer="adam"`,
  `learning_rate=1e-3`, `schedule="constant"`, `early_stopping=False`,
  all training rows, all 5 epochs.
- `default`: the new defaults, `fit(texts, labels)`: AdamW (weight decay
  0.01, clipnorm 1), linear warm-up over 10% of the steps then cosine
  decay to 0, early stopping (patience 1) with the best epoch restored.
  SST-2 passes its validation split; on TREC `fit` carves 10% of the
  training rows itself (stratified, seeded).
- `cosine-lr=X`: the default with peak learning rate X (3e-4, 1e-3, 3e-3;
  1e-3 is the `default` row itself, not run twice).
- `lr-finder`: `find_learning_rate` on the training rows (half an epoch,
  1e-6..1), then the default fit at its suggestion; the seconds include
  the range test.

For the sweep and the finder rows TREC's validation rows are carved once
by `nlptoolkit.training.carve_validation` with the seed, the same rows
`fit` carves by default. Each row is one (dataset, configuration, seed):
test accuracy, macro-F1, wall seconds of `fit` (plus the range test),
epochs run, the best epoch. `summary` holds the means over seeds.

Run `python benchmarks/training_defaults.py` (about 20 minutes on 2
cores) or `--quick` (seed 0 only).
"""

import argparse
import logging
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.training_defaults")

EPOCHS = 5
BATCH_SIZE = 32
SWEEP = (3e-4, 1e-3, 3e-3)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="seed 0 only")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--datasets", default="sst2,trec")
    parser.add_argument("--backbone", default="lstm")
    parser.add_argument("--output", default=str(_common.RESULTS_DIR))
    parser.add_argument(
        "--patience",
        type=int,
        default=None,
        help="early-stopping patience (default: fit's, 1)",
    )
    parser.add_argument(
        "--resummarise",
        action="store_true",
        help="recompute summary and notes of the existing JSON (no runs)",
    )
    parser.add_argument(
        "--configs",
        default=None,
        metavar="NAME[,NAME]",
        help="run only these configurations (e.g. lr-finder) and keep the "
        "other rows of the existing JSON; the re-run rows carry their own "
        "manifest",
    )
    parser.add_argument(
        "--no-sweep",
        action="store_true",
        help="skip the fixed-LR sweep and the finder",
    )
    return parser.parse_args(argv)


def load(name):
    import nlptoolkit

    train = nlptoolkit.datasets.load(name, "train")
    test = nlptoolkit.datasets.load(name, "test")
    info = nlptoolkit.datasets.get_info(name)
    validation = None
    if "validation" in info.split_names:
        validation = nlptoolkit.datasets.load(name, "validation")
    return train, validation, test


def split_for(train, validation, seed):
    """(train texts, labels, validation pair) as the default fit sees
    them."""
    from nlptoolkit import training

    texts, labels = train["text"].tolist(), train["label"].tolist()
    if validation is not None:
        pair = (validation["text"].tolist(), validation["label"].tolist())
        return texts, labels, pair
    keep, held = training.carve_validation(
        len(texts), 0.1, stratify=labels, seed=seed
    )
    pair = ([texts[i] for i in held], [labels[i] for i in held])
    return (
        [texts[i] for i in keep],
        [labels[i] for i in keep],
        pair,
    )


def run_one(name, config, data, seed, backbone, patience=True):
    import nlptoolkit

    train, validation, test = data
    clf = nlptoolkit.TextClassifier(backbone, seed=seed)
    kind = config["kind"]
    finder = None
    start = time.perf_counter()
    cpu_start = time.process_time()
    if kind == "adam-constant":
        clf.fit(
            train["text"],
            train["label"],
            epochs=EPOCHS,
            batch_size=BATCH_SIZE,
            verbose=0,
            optimizer="adam",
            learning_rate=1e-3,
            schedule="constant",
            early_stopping=False,
        )
    elif kind == "default":
        pair = None
        if validation is not None:
            pair = (validation["text"], validation["label"])
        clf.fit(
            train["text"],
            train["label"],
            validation_data=pair,
            epochs=EPOCHS,
            batch_size=BATCH_SIZE,
            verbose=0,
            early_stopping=patience,
        )
    else:
        texts, labels, pair = split_for(train, validation, seed)
        learning_rate = config.get("learning_rate")
        if kind == "lr-finder":
            finder = clf.find_learning_rate(
                texts, labels, batch_size=BATCH_SIZE
            )
            learning_rate = finder.suggestion
        clf.fit(
            texts,
            labels,
            validation_data=pair,
            epochs=EPOCHS,
            batch_size=BATCH_SIZE,
            verbose=0,
            learning_rate=learning_rate,
            early_stopping=patience,
        )
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    metrics = clf.evaluate(test["text"], test["label"])
    info = clf.training_config
    row = {
        "dataset": name,
        "config": config["name"],
        "seed": seed,
        "accuracy": round(metrics["accuracy"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "optimizer": info["optimizer"],
        "schedule": info["schedule"],
        "learning_rate": _common.rounded(info["learning_rate"], 3),
        "epochs_run": info["epochs_run"],
        "best_epoch": info["best_epoch"],
        "train_rows": info["train_rows"],
        "validation_rows": info["validation_rows"],
    }
    if finder is not None:
        row["finder"] = {
            "steepest": _common.rounded(finder.steepest, 3),
            "minimum": _common.rounded(finder.minimum, 3),
            "steps": len(finder.frame),
        }
    logger.info("%s", row)
    return row


def configs(no_sweep):
    out = [
        {"name": "adam-constant", "kind": "adam-constant"},
        {"name": "default", "kind": "default"},
    ]
    if not no_sweep:
        for rate in SWEEP:
            if rate != 1e-3:
                out.append(
                    {
                        "name": f"cosine-lr={rate:g}",
                        "kind": "sweep",
                        "learning_rate": rate,
                    }
                )
        out.append({"name": "lr-finder", "kind": "lr-finder"})
    return out


def summarise(rows):
    groups = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["config"]), []).append(row)
    summary = []
    for (dataset, config), items in groups.items():
        summary.append(
            {
                "dataset": dataset,
                "config": config,
                "seeds": [r["seed"] for r in items],
                "mean_accuracy": round(
                    statistics.mean(r["accuracy"] for r in items), 4
                ),
                "mean_macro_f1": round(
                    statistics.mean(r["macro_f1"] for r in items), 4
                ),
                "mean_seconds": round(
                    statistics.mean(r["seconds"] for r in items), 1
                ),
                "mean_cpu_seconds": round(
                    statistics.mean(r["cpu_seconds"] for r in items), 1
                ),
                "mean_epochs_run": round(
                    statistics.mean(r["epochs_run"] for r in items), 2
                ),
            }
        )
    return summary


DEFINITIONS = {
    "accuracy": "test accuracy of the weights fit returns (the best "
    "validation epoch's when early stopping is on)",
    "seconds": "wall seconds of fit (and of the range test, for "
    "lr-finder) on a shared 2-core CPU whose load from other work varies",
    "cpu_seconds": "CPU seconds of this process over the same span (all "
    "threads): the work done, less sensitive to other processes' load",
    "epochs_run": "epochs trained before early stopping (of 5)",
    "best_epoch": "the epoch kept, 0-based",
    "finder": "the range test's two suggestions (minimum, the lowest "
    "smoothed loss's rate / 20, is the one used; every lr-finder row was "
    "re-run with / 20)",
}


def checks(summary):
    """The acceptance comparisons, one line per dataset."""
    by = {(s["dataset"], s["config"]): s for s in summary}
    lines = []
    for dataset in dict.fromkeys(s["dataset"] for s in summary):
        old = by.get((dataset, "adam-constant"))
        new = by.get((dataset, "default"))
        if old and new:
            gain = 100 * (new["mean_accuracy"] - old["mean_accuracy"])
            lines.append(
                f"{dataset}: default {new['mean_accuracy']:.4f} in "
                f"{new['mean_seconds']:.1f} s ({new['mean_cpu_seconds']:.0f}"
                f" CPU s, {new['mean_epochs_run']:.2f} epochs) vs "
                f"adam-constant {old['mean_accuracy']:.4f} in "
                f"{old['mean_seconds']:.1f} s ({old['mean_cpu_seconds']:.0f}"
                f" CPU s, {old['mean_epochs_run']:.2f} epochs): {gain:+.2f} "
                f"points; mean of seeds {new['seeds']}"
            )
        fixed = [
            s
            for (d, c), s in by.items()
            if d == dataset and (c == "default" or c.startswith("cosine-lr"))
        ]
        finder = by.get((dataset, "lr-finder"))
        if fixed and finder:
            best = max(fixed, key=lambda s: s["mean_accuracy"])
            name = best["config"]
            if name == "default":
                name = "cosine-lr=0.001"
            gap = 100 * (finder["mean_accuracy"] - best["mean_accuracy"])
            lines.append(
                f"{dataset}: lr-finder {finder['mean_accuracy']:.4f} vs the "
                f"best fixed peak LR ({name}) {best['mean_accuracy']:.4f} "
                f"({gap:+.2f} points; seeds {finder['seeds']} vs "
                f"{best['seeds']})"
            )
    return lines


def rerun_plan(names, available, output, manifest, command, datasets, seeds):
    """``(configs to run, rows kept, manifest, command)`` for
    ``--configs``: the existing JSON's rows of other (dataset,
    configuration, seed) triples and its manifest are kept (so new seeds
    add rows), this run's manifest is recorded under ``reruns`` (a list,
    one entry per re-run)."""
    import json

    wanted = names.split(",")
    known = {c["name"]: c for c in available}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(
            f"--configs: unknown configuration(s) {unknown}; expected some "
            f"of {sorted(known)}."
        )
    path = output / "training_defaults.json"
    if not path.exists():
        raise SystemExit(
            f"--configs re-runs part of {path}, which does not exist: run "
            "the whole benchmark first."
        )
    old = json.loads(path.read_text())
    kept = [
        r
        for r in old["rows"]
        if not (
            r["config"] in wanted
            and r["dataset"] in datasets
            and r["seed"] in seeds
        )
    ]
    merged = dict(old["manifest"])
    reruns = merged.get("reruns") or []
    if "rerun" in merged:  # the first re-run's record, before this list
        reruns.insert(0, merged.pop("rerun"))
    rerun = {"configs": wanted, "command": command, **manifest}
    merged["reruns"] = [*reruns, rerun]
    return [known[n] for n in wanted], kept, merged, old["command"]


def ordered(rows):
    """Rows in run order: dataset, seed, then configuration."""
    names = [c["name"] for c in configs(False)]
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    return sorted(
        rows,
        key=lambda r: (
            datasets.index(r["dataset"]),
            r["seed"],
            names.index(r["config"]),
        ),
    )


def payload_for(rows, command, manifest):
    summary = summarise(rows)
    return {
        "benchmark": "training_defaults",
        "title": "Training defaults (warm-up + cosine AdamW, early "
        "stopping, LR finder)",
        "command": command,
        "rows": rows,
        "summary": summary,
        "notes": checks(summary),
        "definitions": DEFINITIONS,
        "manifest": manifest,
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    args.patience = args.patience or True
    _common.setup_environment()
    if args.resummarise:
        import json

        path = pathlib.Path(args.output) / "training_defaults.json"
        old = json.loads(path.read_text())
        payload = payload_for(old["rows"], old["command"], old["manifest"])
        _common.write_json(path, payload)
        print("\n".join(payload["notes"]))
        return 0
    started = time.perf_counter()
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    manifest = _common.manifest(
        seeds[0],
        args.quick,
        seeds=seeds,
        backbone=args.backbone,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
    )
    output = pathlib.Path(args.output)
    chosen = configs(args.no_sweep)
    command = _common.command_line(__file__, argv)
    kept = []
    if args.configs:
        chosen, kept, manifest, command = rerun_plan(
            args.configs,
            chosen,
            output,
            manifest,
            command,
            args.datasets.split(","),
            seeds,
        )
        rerun = manifest["reruns"][-1]
    rows = []
    for name in args.datasets.split(","):
        data = load(name)
        for seed in seeds:
            for config in chosen:
                row = run_one(
                    name, config, data, seed, args.backbone, args.patience
                )
                if args.configs:
                    row["rerun"] = rerun["date"]
                rows.append(row)
                payload = payload_for(ordered(kept + rows), command, manifest)
                _common.write_json(output / "training_defaults.json", payload)
    if args.configs:
        _common.finish_manifest(rerun, started)
    else:
        payload["manifest"] = _common.finish_manifest(manifest, started)
    _common.write_json(output / "training_defaults.json", payload)
    for item in payload["summary"]:
        print(
            f"{item['dataset']:5s} {item['config']:18s} "
            f"acc {item['mean_accuracy']:.4f}  f1 {item['mean_macro_f1']:.4f}"
            f"  {item['mean_seconds']:6.1f} s "
            f"{item['mean_cpu_seconds']:6.1f} cpu s  "
            f"{item['mean_epochs_run']:.2f} epochs"
        )
    print("\n".join(payload["notes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
