"""Classification and sentiment quality beside the TF-IDF baseline.

Trains each (dataset, backbone) the way the CLI does (validation split, or
10% carved from train; early stopping on validation accuracy), evaluates on
the test split and trains TF-IDF (1-2 grams) + logistic regression on the
same split. Writes ``benchmarks/results/classification.json``.

    python benchmarks/classification.py            # SST-2, TREC, IMDB
    python benchmarks/classification.py --quick    # small subsets
    python benchmarks/classification.py --datasets imdb
"""

import argparse
import datetime
import json
import os
import platform
import time

# Per-dataset settings (the CLI defaults, except IMDB's longer texts).
RECIPES = {
    "sst2": {"task": "sentiment", "epochs": 6, "batch_size": 32, "kwargs": {}},
    "trec": {
        "task": "classification",
        "epochs": 10,
        "batch_size": 32,
        "kwargs": {},
    },
    "imdb": {
        "task": "sentiment",
        "epochs": 3,
        "batch_size": 64,
        "kwargs": {"sequence_length": 256},
    },
}


def run_one(name, backbone, recipe, max_examples, seed):
    import nlptoolkit
    from nlptoolkit import datasets
    from nlptoolkit.baselines import TfidfLogisticRegression

    info = datasets.get_info(name)
    train = datasets.load(name, "train", max_examples=max_examples)
    test = datasets.load(name, "test", max_examples=max_examples)
    if "validation" in info.split_names:
        validation = datasets.load(
            name, "validation", max_examples=max_examples
        )
    else:
        validation = train.sample(frac=0.1, random_state=seed)
        train = train.drop(validation.index).reset_index(drop=True)
    task_class = (
        nlptoolkit.SentimentClassifier
        if recipe["task"] == "sentiment"
        else nlptoolkit.TextClassifier
    )
    task = task_class(backbone, seed=seed, **recipe["kwargs"])
    start = time.perf_counter()
    history = task.fit(
        train["text"],
        train["label"],
        validation_data=(validation["text"], validation["label"]),
        epochs=recipe["epochs"],
        batch_size=recipe["batch_size"],
        verbose=2,
    )
    train_seconds = time.perf_counter() - start
    metrics = task.evaluate(test["text"], test["label"])
    start = time.perf_counter()
    baseline = TfidfLogisticRegression(seed=seed)
    baseline.fit(train["text"].tolist(), train["label"].tolist())
    base = baseline.evaluate(test["text"].tolist(), test["label"].tolist())
    return {
        "dataset": name,
        "backbone": backbone,
        "accuracy": round(metrics["accuracy"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "baseline_accuracy": round(base["accuracy"], 4),
        "baseline_macro_f1": round(base["macro_f1"], 4),
        "train_seconds": round(train_seconds, 1),
        "baseline_seconds": round(time.perf_counter() - start, 1),
        "epochs_run": len(history.epoch),
        "parameters": int(task.count_params),
        "sequence_length": task.model.task_config["sequence_length"],
        "train_rows": len(train),
        "test_rows": len(test),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--datasets", nargs="+", default=list(RECIPES))
    parser.add_argument(
        "--backbones", nargs="+", default=["lstm", "transformer"]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output",
        default=os.path.join(
            os.path.dirname(__file__), "results", "classification.json"
        ),
    )
    args = parser.parse_args()
    import keras
    import tensorflow as tf

    max_examples = 600 if args.quick else None
    rows = []
    for name in args.datasets:
        for backbone in args.backbones:
            row = run_one(
                name, backbone, RECIPES[name], max_examples, args.seed
            )
            print(json.dumps(row), flush=True)
            rows.append(row)
    payload = {
        "benchmark": "classification",
        "command": "python benchmarks/classification.py"
        + (" --quick" if args.quick else "")
        + f" --datasets {' '.join(args.datasets)}",
        "rows": rows,
        "manifest": {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "cpu_count": os.cpu_count(),
            "seed": args.seed,
            "quick": args.quick,
        },
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
