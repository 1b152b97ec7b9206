"""``python -m nlptoolkit.tasks.summarization [train|evaluate|summarize]``

With no subcommand, trains a Transformer summarizer on DialogSum.
"""

import json
import logging
import os
import sys
import time

import pandas as pd

from nlptoolkit import cli

logger = logging.getLogger("nlptoolkit")
DEFAULT_DATASET = "dialogsum"
EXAMPLES = 20


def _add_decoding_arguments(parser):
    parser.add_argument(
        "--length-penalty",
        type=cli.length_penalty,
        default=None,
        help="beam search only: the final beam maximises sum of "
        "log-probs / length ** L (default 1.0; 0 = plain sum)",
    )
    parser.add_argument(
        "--no-repeat-ngram-size",
        type=cli.ngram_size,
        default=0,
        metavar="N",
        help="never repeat an N-gram in a summary (default 0: off)",
    )


def _decoding_record(args, sampler):
    """The decoding settings recorded beside the sampler (``sampler``:
    the object ``make_sampler`` gave for them)."""
    beam = hasattr(sampler, "num_beams")
    return {
        "num_beams": sampler.num_beams if beam else None,
        "length_penalty": getattr(sampler, "length_penalty", None),
        "no_repeat_ngram_size": args.no_repeat_ngram_size,
    }


def _add_data_columns(parser):
    parser.add_argument("--document-column", default="document")
    parser.add_argument("--summary-column", default="summary")


def build_parser():
    parser = cli.ArgumentParser(
        prog="python -m nlptoolkit.tasks.summarization",
        description="Train, evaluate and run an abstractive summarizer.",
    )
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train, evaluate vs Lead-3, save")
    cli.add_common_train_arguments(train, DEFAULT_DATASET)
    cli.add_recipe_argument(train, "summarization")
    train.set_defaults(backbone="transformer")
    _add_data_columns(train)
    train.add_argument(
        "--tokenizer",
        default=None,
        help="word | wordpiece (default word; a pretrained --backbone "
        "brings its own)",
    )
    train.add_argument("--vocabulary-size", type=cli.positive_int, default=None)
    train.add_argument(
        "--sequence-length",
        type=cli.positive_int,
        default=None,
        help="document tokens kept (default 256; a pretrained model: at "
        "most its positions)",
    )
    train.add_argument(
        "--summary-length",
        type=cli.positive_int,
        default=None,
        help="summary tokens for training (default 64)",
    )
    train.add_argument("--hidden-dim", type=cli.positive_int, default=None)
    train.add_argument(
        "--intermediate-dim", type=cli.positive_int, default=None
    )
    train.add_argument("--num-layers", type=cli.positive_int, default=None)
    train.add_argument("--num-heads", type=cli.positive_int, default=None)
    train.add_argument(
        "--max-minutes",
        type=cli.positive_float,
        default=5.0,
        help="stop training after this long (default 5)",
    )
    train.add_argument(
        "--sampler", default="greedy", help="for the test summaries"
    )
    train.add_argument("--num-beams", type=cli.positive_int, default=4)
    _add_decoding_arguments(train)

    evaluate = sub.add_parser("evaluate", help="ROUGE vs Lead-3 of a model")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--dataset", default=DEFAULT_DATASET)
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--test-file", default=None)
    evaluate.add_argument("--max-examples", type=cli.positive_int, default=None)
    evaluate.add_argument("--sampler", default="greedy")
    evaluate.add_argument("--num-beams", type=cli.positive_int, default=4)
    _add_decoding_arguments(evaluate)
    _add_data_columns(evaluate)
    evaluate.add_argument(
        "--output",
        default=None,
        help="directory for evaluation-SAMPLER.json and "
        "top_losses-SAMPLER.csv (default: the model's directory)",
    )
    cli.add_overwrite_argument(evaluate)
    evaluate.add_argument(
        "--top-k",
        type=cli.positive_int,
        default=20,
        help="rows in top_losses-SAMPLER.csv, lowest ROUGE-L first "
        "(default 20)",
    )

    summarize = sub.add_parser("summarize", help="summarize a file or text")
    summarize.add_argument("--model", required=True)
    summarize.add_argument(
        "input",
        help="a .txt file (one document), a CSV/TSV/JSONL file "
        "(--document-column), or the text itself",
    )
    summarize.add_argument("--document-column", default="document")
    summarize.add_argument("--max-length", type=cli.positive_int, default=None)
    summarize.add_argument("--sampler", default="beam")
    summarize.add_argument("--num-beams", type=cli.positive_int, default=4)
    _add_decoding_arguments(summarize)
    summarize.add_argument(
        "--decode", default="fused", help="fused | stepwise | uncached"
    )
    cli.add_clock_argument(summarize)
    return parser


def _pairs(args, split):
    """(documents, references) for a split; references may be lists."""
    from nlptoolkit import datasets

    name = "train_file" if split == "train" else "test_file"
    path = getattr(args, name, None)
    if path:
        frame = datasets.read_file(
            path,
            columns={
                "document": args.document_column,
                "summary": args.summary_column,
            },
        )
        if args.max_examples:
            frame = frame.head(args.max_examples)
        summaries = frame["summary"].tolist()
        return frame["document"].tolist(), summaries, summaries
    frame = datasets.load(args.dataset, split, max_examples=args.max_examples)
    summaries = frame["summary"].tolist()
    references = (
        frame["references"].tolist()
        if "references" in frame.columns
        else summaries
    )
    return frame["document"].tolist(), summaries, references


def train_command(args):
    import nlptoolkit
    from nlptoolkit.decoding import make_sampler
    from nlptoolkit.metrics import plot_history

    # First: a multi-worker strategy must set up TF before anything runs.
    strategy = cli.make_strategy(args.strategy)
    if args.output:  # refused now, not after training
        cli.check_output(args.output, args, own=cli.own_folders(args))
    # The test summaries' settings fail here, not after training.
    sampler = make_sampler(
        args.sampler,
        num_beams=args.num_beams,
        length_penalty=args.length_penalty,
    )
    args.dataset = args.dataset or DEFAULT_DATASET
    if args.test_file and not args.train_file:
        raise cli.UserError("--test-file needs --train-file as well")
    documents, summaries, _ = _pairs(args, "train")
    test_docs, test_sums, test_refs = _pairs(args, "test")
    # Validation loss from the dataset's validation split (the test file
    # when training from files); nothing is selected on it.
    if args.train_file:
        val_docs, val_sums = test_docs, test_sums
    else:
        val_docs, val_sums, _ = _pairs(args, "validation")
    # Only what was given: the task's defaults apply otherwise, and a
    # pretrained backbone refuses the sizes it brings itself.
    kwargs = {}
    for name in (
        "tokenizer",
        "sequence_length",
        "summary_length",
        "vocabulary_size",
        "hidden_dim",
        "intermediate_dim",
        "num_layers",
        "num_heads",
    ):
        if getattr(args, name):
            kwargs[name] = getattr(args, name)
    model = nlptoolkit.Summarizer(
        args.backbone, seed=args.seed, strategy=strategy, **kwargs
    )
    cli.log_default_notice(args, args.dataset)
    history = model.fit(
        documents,
        summaries,
        validation_data=(val_docs, val_sums),
        epochs=args.epochs or 100,
        batch_size=args.batch_size,
        max_seconds=args.max_minutes * 60,
        verbose=cli.keras_verbose(),
        checkpoint_dir=args.checkpoint_dir,
    )
    predictions = model.summarize(
        test_docs,
        sampler=args.sampler,
        num_beams=args.num_beams,
        length_penalty=args.length_penalty,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
        batch_size=max(args.batch_size, 32),
    )
    metrics = model.score(test_docs, test_refs, predictions)
    metrics.update(
        {
            "train_seconds": model.train_seconds,
            "epochs_run": len(history.epoch),
            "baseline": "Lead-3",
            "test_examples": len(test_docs),
            "references_per_example": (
                len(test_refs[0]) if isinstance(test_refs[0], list) else 1
            ),
            "sampler": args.sampler,
            **_decoding_record(args, sampler),
            "dataset": args.dataset
            if not args.train_file
            else os.path.basename(args.train_file),
            "backbone": model.backbone_name,
            "pretrained": model.model.task_config.get("pretrained"),
            "seed": args.seed,
            "parameters": model.count_params,
            "config": model.get_config(),
            "recipe": cli.recipe_record(args),
        }
    )
    metrics["manifest"] = cli.manifest(
        args.seed,
        metrics["dataset"],
        texts=documents + summaries,
        tokenizer=model.tokenizer,
    )
    output = args.output or os.path.join(
        "runs", f"summarization-{args.dataset}-{model.backbone_label}"
    )
    with cli.atomic_output_dir(
        output, strategy, args.overwrite, own=cli.own_folders(args)
    ) as tmp:
        model.save(os.path.join(tmp, "model.keras"))
        cli.write_json(os.path.join(tmp, "metrics.json"), metrics)
        pd.DataFrame(history.history).rename_axis("epoch").to_csv(
            os.path.join(tmp, "history.csv")
        )
        plot_history(history.history, os.path.join(tmp, "learning_curves.png"))
        with open(
            os.path.join(tmp, "examples.jsonl"), "w", encoding="utf-8"
        ) as handle:
            for document, reference, prediction in list(
                zip(test_docs, test_refs, predictions, strict=True)
            )[:EXAMPLES]:
                record = {
                    "document": document,
                    "reference": reference,
                    "prediction": prediction,
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"\ntest, {model.backbone_label} vs Lead-3 (ROUGE F1 %):")
    print(_rouge_table(metrics))
    print(f"\nwrote {output}/")
    return 0


def _rouge_table(metrics):
    """ROUGE-1/2/L F1 of the model beside Lead-3's, as a text table."""
    rows = [
        [key, f"{metrics[key]:.2f}", f"{metrics['baseline_' + key]:.2f}"]
        for key in ("rouge1", "rouge2", "rougeL")
    ]
    return cli.format_table(rows, ["metric", "model", "Lead-3"])


def _load_summarizer(path):
    from nlptoolkit.tasks.summarization import Summarizer

    return cli.load_task(path, Summarizer, "summarizers")


def evaluate_command(args):
    """ROUGE vs Lead-3 printed and written to ``evaluation-NAME.json``,
    the worst-ROUGE-L summaries to ``top_losses-NAME.csv`` (NAME: the
    sampler, ``beam4`` for 4 beams), in ``--output`` or the model's
    directory."""
    from nlptoolkit.decoding import make_sampler
    from nlptoolkit.training import summarization_top_losses

    sampler = make_sampler(
        args.sampler,
        num_beams=args.num_beams,
        length_penalty=args.length_penalty,
    )
    directory = cli.check_output(
        args.output or os.path.dirname(os.path.abspath(args.model)),
        args,
        what="--output" if args.output else "the model's folder",
    )
    model = _load_summarizer(args.model)
    split = "test" if args.test_file else args.split
    documents, _, references = _pairs(args, split)
    start = time.perf_counter()
    predictions = model.summarize(
        documents,
        sampler=args.sampler,
        num_beams=args.num_beams,
        length_penalty=args.length_penalty,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
    )
    seconds = time.perf_counter() - start
    metrics = model.score(documents, references, predictions)
    print(_rouge_table(metrics))
    decoding = _decoding_record(args, sampler)
    name = args.sampler
    if decoding["num_beams"]:
        name = f"beam{decoding['num_beams']}"
    metrics.update(
        {
            "model": os.path.abspath(args.model),
            "split": split,
            "examples": len(documents),
            "sampler": args.sampler,
            **decoding,
            "decode_seconds": seconds,
        }
    )
    shown = args.output or directory
    path = os.path.join(shown, f"evaluation-{name}.json")
    top = summarization_top_losses(
        documents, references, predictions, k=args.top_k
    )
    top_path = os.path.join(shown, f"top_losses-{name}.csv")
    with cli.atomic_output_dir(directory, overwrite=args.overwrite) as tmp:
        cli.write_json(os.path.join(tmp, os.path.basename(path)), metrics)
        cli.write_csv(
            top.rename_axis("row"),
            os.path.join(tmp, os.path.basename(top_path)),
        )
    print(f"wrote {path} and {top_path} ({len(top)} lowest-ROUGE-L summaries)")
    return 0


def _documents(args):
    from nlptoolkit import datasets

    text = args.input
    if text.endswith((".csv", ".tsv", ".jsonl")):
        frame = datasets.read_file(
            text, columns={"document": args.document_column}
        )
        return frame["document"].tolist()
    if text.endswith(".txt"):
        if not os.path.isfile(text):
            raise FileNotFoundError(f"No such file: {text!r}")
        with open(text, encoding="utf-8") as handle:
            return [handle.read()]
    if os.path.isfile(text):
        with open(text, encoding="utf-8") as handle:
            return [handle.read()]
    return [text]


def summarize_command(args):
    model = _load_summarizer(args.model)
    callbacks = cli.clock_callbacks(args)
    summaries = model.summarize(
        _documents(args),
        max_length=args.max_length,
        sampler=args.sampler,
        num_beams=args.num_beams,
        decode=args.decode,
        callbacks=callbacks,
        length_penalty=args.length_penalty,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
    )
    print("\n".join(summaries))
    cli.finish_clock(callbacks, args)
    return 0


main = cli.make_main(
    build_parser,
    {
        "train": train_command,
        "evaluate": evaluate_command,
        "summarize": summarize_command,
    },
)


if __name__ == "__main__":
    sys.exit(cli.program(main))
