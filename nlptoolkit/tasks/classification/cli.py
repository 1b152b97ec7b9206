"""The command line shared by ``classification`` and ``sentiment``.

``python -m nlptoolkit.tasks.sentiment`` with no subcommand trains on the
default dataset; ``train``, ``evaluate`` and ``predict`` are the verbs.
"""

import argparse
import logging
import os
import time

import pandas as pd

from nlptoolkit import cli
from nlptoolkit.training.lr_finder import MINIMUM_DIVISOR

logger = logging.getLogger("nlptoolkit")


def build_parser(prog, default_dataset, task="classification"):
    parser = cli.ArgumentParser(
        prog=prog,
        description="Train, evaluate and run a text classifier. With no "
        f"subcommand, trains on {default_dataset!r}.",
    )
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train, evaluate, save")
    cli.add_common_train_arguments(train, default_dataset)
    add_column_arguments(train)
    train.add_argument(
        "--sequence-length",
        type=cli.positive_int,
        default=None,
        help="tokens kept per text (default: 95th percentile, <= 512)",
    )
    train.add_argument("--hidden-dim", type=cli.positive_int, default=None)
    train.add_argument("--num-layers", type=cli.positive_int, default=None)
    train.add_argument("--vocabulary-size", type=cli.positive_int, default=None)
    train.add_argument(
        "--freeze-backbone",
        action="store_true",
        help="pretrained backbones: keep its weights, train the head only",
    )
    add_training_arguments(train)
    cli.add_recipe_argument(train, task)

    evaluate = sub.add_parser("evaluate", help="metrics of a saved model")
    evaluate.add_argument("--model", required=True, help="model.keras path")
    evaluate.add_argument("--dataset", default=None)
    evaluate.add_argument("--test-file", default=None)
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--max-examples", type=cli.positive_int)
    evaluate.add_argument(
        "--output",
        default=None,
        help="directory for top_losses.csv (default: the model's directory)",
    )
    cli.add_overwrite_argument(evaluate)
    evaluate.add_argument(
        "--top-k",
        type=cli.positive_int,
        default=20,
        help="rows in top_losses.csv, highest loss first (default 20)",
    )
    add_column_arguments(evaluate)

    predict = sub.add_parser("predict", help="label texts")
    predict.add_argument("--model", required=True, help="model.keras path")
    predict.add_argument("texts", nargs="+", help="texts to classify")
    predict.add_argument("--batch-size", type=cli.positive_int, default=64)
    cli.add_clock_argument(predict)
    return parser


def add_training_arguments(parser):
    """Optimizer, schedule, early stopping, LR finder, TensorBoard."""
    from nlptoolkit import training

    group = parser.add_argument_group("training")
    group.add_argument(
        "--optimizer",
        choices=training.schedules.OPTIMIZERS,
        default="adamw",
        help="default adamw (weight decay 0.01, clipnorm 1.0)",
    )
    group.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        help="peak (cosine) or constant learning rate (default: 1e-3 "
        "LSTM, 5e-4 Transformer)",
    )
    group.add_argument(
        "--schedule",
        choices=training.schedules.SCHEDULES,
        default="cosine",
        help="cosine: linear warm-up over 10%% of the steps, then cosine "
        "decay to 0 (default); constant",
    )
    group.add_argument(
        "--no-early-stopping",
        dest="early_stopping",
        action="store_false",
        help="train all epochs (default: stop after an epoch that improves "
        "neither validation accuracy nor loss; keep the best epoch)",
    )
    group.add_argument(
        "--class-weight",
        choices=["balanced"],
        default=None,
        help="weight classes inversely to their frequency",
    )
    group.add_argument(
        "--find-lr",
        action="store_true",
        help="run a learning-rate range test first, print its suggestion, "
        "save lr_finder.png/.csv, and train with it",
    )
    group.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="write TensorBoard logs (scalars, graph) to DIR",
    )


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, received {text!r}"
        ) from None
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, received {value}"
        )
    return value


def add_column_arguments(parser):
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")


def _frame(args, split):
    """One split as a DataFrame with ``text`` and ``label`` columns."""
    from nlptoolkit import datasets

    file_for_split = {"train": args.train_file, "test": args.test_file}
    path = file_for_split.get(split)
    if path:
        columns = {"text": args.text_column, "label": args.label_column}
        frame = datasets.read_file(path, columns=columns)
        if args.max_examples:
            frame = frame.sample(
                n=min(args.max_examples, len(frame)), random_state=0
            ).reset_index(drop=True)
        return frame
    return datasets.load(args.dataset, split, max_examples=args.max_examples)


def _splits(args):
    """(train, validation or None, test, dataset label) for ``train``."""
    from nlptoolkit import datasets

    if args.train_file:
        if not args.test_file:
            raise cli.UserError(
                "--train-file needs --test-file too (the file to report "
                "test metrics on)."
            )
        train, test = _frame(args, "train"), _frame(args, "test")
        name = os.path.basename(args.train_file)
        return train, None, test, name
    info = datasets.get_info(args.dataset)
    train = _frame(args, "train")
    test = _frame(args, "test")
    validation = None
    if "validation" in info.split_names:
        validation = _frame(args, "validation")
    return train, validation, test, info.name


def _model_kwargs(args):
    names = ["sequence_length", "hidden_dim", "num_layers", "vocabulary_size"]
    kwargs = {
        name: getattr(args, name)
        for name in names
        if getattr(args, name, None) is not None
    }
    if getattr(args, "freeze_backbone", False):
        kwargs["freeze_backbone"] = True
    return kwargs


def train_command(args, task_class, default_epochs):
    from nlptoolkit.baselines import TfidfLogisticRegression
    from nlptoolkit.metrics import plot_confusion_matrix
    from nlptoolkit.metrics import plot_history

    # First: a multi-worker strategy must set up TF before anything runs.
    strategy = cli.make_strategy(args.strategy)
    if args.output:  # refused now, not after training
        cli.check_output(args.output, args, own=cli.own_folders(args))
    train, validation, test, dataset = _splits(args)
    # Without a validation split, ``fit`` holds out 10% of the training
    # rows itself (stratified by label, seeded) for early stopping.
    carved = validation is None
    logger.info(
        "%s: %d train / %s validation / %d test rows",
        dataset,
        len(train),
        "10% of train" if carved else len(validation),
        len(test),
    )
    task = task_class(
        args.backbone,
        seed=args.seed,
        strategy=strategy,
        **_model_kwargs(args),
    )
    if task.pretrained and not args.epochs:
        default_epochs = None  # The task's own: few for a pretrained model.
    if args.find_lr and args.learning_rate is not None:
        raise cli.UserError(
            "--find-lr chooses the learning rate; drop --learning-rate "
            f"{args.learning_rate} (or --find-lr)."
        )
    cli.log_default_notice(args, dataset)
    start = time.perf_counter()
    learning_rate, finder = args.learning_rate, None
    if args.find_lr:
        finder = task.find_learning_rate(
            train["text"],
            train["label"],
            batch_size=args.batch_size,
            optimizer=args.optimizer,
        )
        learning_rate = finder.suggestion
        print(
            f"lr finder: suggested learning rate {learning_rate:.3g} "
            f"({finder.method}; steepest {finder.steepest:.3g}, "
            f"minimum/{MINIMUM_DIVISOR:g} {finder.minimum:.3g})"
        )
    history = task.fit(
        train["text"],
        train["label"],
        validation_data=None
        if carved
        else (validation["text"], validation["label"]),
        epochs=args.epochs or default_epochs,
        batch_size=args.batch_size,
        verbose=cli.keras_verbose(),
        optimizer=args.optimizer,
        learning_rate=learning_rate,
        schedule=args.schedule,
        early_stopping=args.early_stopping,
        class_weight=args.class_weight,
        tensorboard_dir=args.tensorboard,
        checkpoint_dir=args.checkpoint_dir,
    )
    train_seconds = time.perf_counter() - start
    metrics = task.evaluate(test["text"], test["label"])

    start = time.perf_counter()
    baseline = TfidfLogisticRegression(seed=args.seed)
    baseline.fit(train["text"].tolist(), train["label"].tolist())
    baseline_metrics = baseline.evaluate(
        test["text"].tolist(), test["label"].tolist()
    )
    baseline_seconds = time.perf_counter() - start

    metrics.update(
        {
            "baseline": "tfidf-1-2gram+logreg",
            "baseline_accuracy": baseline_metrics["accuracy"],
            "baseline_macro_f1": baseline_metrics["macro_f1"],
            "baseline_train_seconds": baseline_seconds,
            "train_seconds": train_seconds,
            "epochs_run": len(history.epoch),
            "dataset": dataset,
            "backbone": task.backbone_name,
            "pretrained": task.model.task_config.get("pretrained"),
            "seed": args.seed,
            "parameters": task.count_params,
            "sequence_length": task.model.task_config["sequence_length"],
            "train_rows": task.training_config["train_rows"],
            "validation_rows": task.training_config["validation_rows"],
            "validation_carved_from_train": carved,
            "training": task.training_config,
            "lr_finder": None if finder is None else finder.to_dict(),
            "test_rows": len(test),
            "recipe": cli.recipe_record(args),
            "manifest": cli.manifest(
                args.seed,
                dataset,
                texts=train["text"].tolist(),
                tokenizer=task.tokenizer,
            ),
        }
    )
    output = args.output or os.path.join(
        "runs", f"{task.task_id}-{dataset}-{task.backbone_label}"
    )
    with cli.atomic_output_dir(
        output, strategy, args.overwrite, own=cli.own_folders(args)
    ) as tmp:
        task.save(os.path.join(tmp, "model.keras"))
        cli.write_json(os.path.join(tmp, "metrics.json"), metrics)
        pd.DataFrame(history.history).rename_axis("epoch").to_csv(
            os.path.join(tmp, "history.csv")
        )
        plot_history(history.history, os.path.join(tmp, "learning_curves.png"))
        plot_confusion_matrix(
            metrics["confusion_matrix"],
            metrics["label_names"],
            os.path.join(tmp, "confusion_matrix.png"),
        )
        if finder is not None:
            finder.frame.to_csv(os.path.join(tmp, "lr_finder.csv"), index=False)
            finder.plot(os.path.join(tmp, "lr_finder.png"))
    rows = [
        [
            "accuracy",
            f"{metrics['accuracy']:.4f}",
            f"{metrics['baseline_accuracy']:.4f}",
        ],
        [
            "macro_f1",
            f"{metrics['macro_f1']:.4f}",
            f"{metrics['baseline_macro_f1']:.4f}",
        ],
        ["train_seconds", f"{train_seconds:.1f}", f"{baseline_seconds:.1f}"],
    ]
    print(f"\n{dataset} test ({len(test)} rows), {task.backbone_label}:")
    print(cli.format_table(rows, ["metric", "model", "tfidf+logreg"]))
    print(f"\nwrote {output}/model.keras, metrics.json, history.csv, plots")
    return 0


def _load_classifier(path):
    from nlptoolkit.tasks.classification.task import TextClassifier

    return cli.load_task(path, TextClassifier, "classifiers")


def evaluate_command(args):
    directory = cli.check_output(
        args.output or os.path.dirname(os.path.abspath(args.model)),
        args,
        what="--output" if args.output else "the model's folder",
    )
    task = _load_classifier(args.model)
    if args.test_file:
        from nlptoolkit import datasets

        frame = datasets.read_file(
            args.test_file,
            columns={"text": args.text_column, "label": args.label_column},
        )
    else:
        if not args.dataset:
            raise cli.UserError("evaluate needs --dataset NAME or --test-file")
        from nlptoolkit import datasets

        frame = datasets.load(
            args.dataset, args.split, max_examples=args.max_examples
        )
    metrics = task.evaluate(frame["text"], frame["label"])
    rows = [[k, f"{metrics[k]:.4f}"] for k in ("accuracy", "macro_f1")]
    print(cli.format_table(rows, ["metric", "value"]))
    top = task.top_losses(frame["text"], frame["label"], k=args.top_k)
    with cli.atomic_output_dir(directory, overwrite=args.overwrite) as tmp:
        cli.write_csv(
            top.rename_axis("row"), os.path.join(tmp, "top_losses.csv")
        )
    shown = args.output or os.path.dirname(os.path.abspath(args.model))
    path = os.path.join(shown, "top_losses.csv")
    print(f"wrote {path} ({len(top)} highest-loss examples)")
    return 0


def predict_command(args):
    task = _load_classifier(args.model)
    callbacks = cli.clock_callbacks(args)
    probabilities = task.predict(
        args.texts, batch_size=args.batch_size, callbacks=callbacks
    )
    for text, row in zip(args.texts, probabilities, strict=True):
        best = int(row.argmax())
        print(f"{task.label_names[best]}\t{row[best]:.3f}\t{text}")
    cli.finish_clock(callbacks, args)
    return 0


def make_main(task_class, prog, default_dataset, default_epochs):
    """Build the ``main(argv)`` of a classification-family ``__main__``."""

    def train(args):
        args.dataset = args.dataset or default_dataset
        return train_command(args, task_class, default_epochs)

    return cli.make_main(
        lambda: build_parser(prog, default_dataset, task_class.task_id),
        {
            "train": train,
            "evaluate": evaluate_command,
            "predict": predict_command,
        },
    )
