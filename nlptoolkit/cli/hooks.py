"""What each task family's command line does that the others do not (its
inputs, its score against its baseline, its own files, its evaluation,
its predict-like verb); the rest is its spec in
``nlptoolkit.tasks.registry`` and :mod:`~nlptoolkit.cli.commands`.

:data:`COMMANDS` maps a task id to its :class:`TaskCommands` subclass;
:func:`task_main` gives ``python -m nlptoolkit.tasks.<task>``'s ``main``.
"""

import functools
import logging
import os
import sys
import time

from nlptoolkit.cli import base
from nlptoolkit.cli import recipes
from nlptoolkit.cli.base import UserError
from nlptoolkit.cli.commands import Data
from nlptoolkit.cli.commands import TaskCommands
from nlptoolkit.cli.commands import decoding
from nlptoolkit.cli.commands import decoding_record
from nlptoolkit.decoding import GenerationConfig
from nlptoolkit.tasks.classification import TextClassifier
from nlptoolkit.tasks.generation import TextGenerator
from nlptoolkit.tasks.registry import get_task_spec
from nlptoolkit.tasks.summarization import Summarizer
from nlptoolkit.validation import argparse_type

logger = logging.getLogger("nlptoolkit")
EXAMPLES = 20  # summaries written to examples.jsonl
SAMPLE_PROMPTS = ["ROMEO:", "First Citizen:\n", "The king"]
SEPARATOR = "\n\n-----\n\n"  # between samples, in samples.txt and printed
MAX_MINUTES = ("max-minutes", base.positive_float, 5.0,
               "stop training after this long (default 5)")  # fmt: skip


class ClassifierCommands(TaskCommands):
    """``classification`` and ``sentiment``: against TF-IDF + logistic
    regression."""

    evaluate_writes = evaluate_needs_dataset = True
    file_subset = "sample"
    model_kind = "classifiers"
    load_class = TextClassifier  # sentiment's CLI runs any classifier
    evaluate_keys = ("accuracy", "macro_f1")
    # The classifiers' training defaults, as their parsers had them.
    train_defaults = {"optimizer": "adamw", "schedule": "cosine",
                      "early_stopping": True}  # fmt: skip
    train_flags = [
        ("freeze-backbone", bool, False,
         "pretrained backbones: keep its weights, train the head only"),
        ("class-weight", ("balanced",), None,
         "weight classes inversely to their frequency"),
    ]  # fmt: skip

    def model_kwargs(self, args):
        frozen = {"freeze_backbone": True} if args.freeze_backbone else {}
        return {**super().model_kwargs(args), **frozen}

    def epochs(self, task, args):
        if task.pretrained and not args.epochs:
            return None  # The task's own: few for a pretrained model.
        return super().epochs(task, args)

    def check_args(self, args):
        super().check_args(args)
        if args.command == "train" and args.train_file and not args.test_file:
            raise UserError(
                "--train-file needs --test-file too (the file to report "
                "test metrics on)."
            )
        if args.command == "evaluate" and not (args.test_file or args.dataset):
            raise UserError("evaluate needs --dataset NAME or --test-file")

    def load_data(self, args):
        from nlptoolkit import datasets

        info = None if args.train_file else datasets.get_info(args.dataset)
        train, test = self.split(args, "train"), self.split(args, "test")
        # Without a validation split, ``fit`` holds out 10% of the training
        # rows itself (stratified by label, seeded) for early stopping.
        validation, shown = None, "10% of train"
        if info and "validation" in info.split_names:
            validation = self.split(args, "validation")
            shown = len(validation[0])
        name = self.dataset_name(args)
        logger.info(
            "%s: %d train / %s validation / %d test rows",
            *(name, len(train[0]), shown, len(test[0])),
        )
        return Data(train, validation, test, name, train[0])

    def score(self, task, data, args):
        from nlptoolkit.baselines import TfidfLogisticRegression
        from nlptoolkit.metrics import plot_confusion_matrix

        texts, labels = data.test
        metrics = task.evaluate(texts, labels)
        start = time.perf_counter()
        baseline = TfidfLogisticRegression(seed=args.seed)
        baseline.fit(data.texts, data.train[1])
        scores = baseline.evaluate(texts, labels)
        config = task.training_config
        metrics.update(
            baseline="tfidf-1-2gram+logreg",
            baseline_accuracy=scores["accuracy"],
            baseline_macro_f1=scores["macro_f1"],
            baseline_train_seconds=time.perf_counter() - start,
            sequence_length=task.model.task_config["sequence_length"],
            train_rows=config["train_rows"],
            validation_rows=config["validation_rows"],
            validation_carved_from_train=data.validation is None,
            test_rows=len(texts),
        )
        matrix, names = metrics["confusion_matrix"], metrics["label_names"]
        plot = functools.partial(plot_confusion_matrix, matrix, names)
        return metrics, {"confusion_matrix.png": plot}

    def add_run_arguments(self, parser):
        parser.add_argument("texts", nargs="+", help="texts to classify")
        parser.add_argument("--batch-size", type=base.positive_int, default=64)

    def run_model(self, task, args, callbacks):
        texts = args.texts
        rows = task.predict(
            texts, batch_size=args.batch_size, callbacks=callbacks
        )
        for text, row in zip(texts, rows, strict=True):
            best = int(row.argmax())
            print(f"{task.label_names[best]}\t{row[best]:.3f}\t{text}")


class SummarizerCommands(TaskCommands):
    """``summarization``: ROUGE against Lead-3. Its test summaries are
    decoded with train's decoding flags (``--seed`` is training's); in
    ``evaluate``, ``--top-k`` is the rows of ``top_losses-NAME.csv`` (as
    before) and ``--sampler-top-k`` the top_k sampler's k."""

    evaluate_writes = True
    model_kind = "summarizers"
    train_flags = [MAX_MINUTES]
    decodes = Summarizer.summarize
    decoding_flags = {
        "train": (("seed",), {"sampler": "greedy"}),
        "evaluate": (("top_k",), {"sampler": "greedy"}),
        "summarize": ((), {"sampler": "beam"}),
    }

    def build_parser(self):
        parser = super().build_parser()
        field = GenerationConfig.__dataclass_fields__["top_k"]
        recipes.subcommand_parser(parser, "evaluate").add_argument(
            "--sampler-top-k", default=field.default,
            type=argparse_type(*field.metadata["constraints"], name="top_k"),
            help=field.metadata["help"],
        )  # fmt: skip
        return parser

    def check_args(self, args):
        super().check_args(args)
        if args.command == "train" and args.test_file and not args.train_file:
            raise UserError("--test-file needs --train-file as well")

    def inputs(self, frame):
        """(documents, summaries, references); references may be lists
        (several per document)."""
        summaries = frame["summary"].tolist()
        references = summaries
        if "references" in frame.columns:
            references = frame["references"].tolist()
        return frame["document"].tolist(), summaries, references

    def load_data(self, args):
        documents, summaries, _ = self.split(args, "train")
        test = self.split(args, "test")
        # Validation loss from the dataset's validation split (the test
        # file when training from files); nothing is selected on it.
        validation = test if args.train_file else self.split(args, "validation")
        train, texts = (documents, summaries), documents + summaries
        return Data(train, validation[:2], test, self.dataset_name(args), texts)

    def summaries(self, task, inputs, args, changes=(), **options):
        """ROUGE of ``task``'s summaries of ``inputs`` beside Lead-3's and
        the decoding's record (``changes``: to the decoding flags), and
        ``(documents, references, summaries)``."""
        documents, _, references = inputs
        kwargs, config = decoding(args, task.summarize, **dict(changes))
        summaries = task.summarize(documents, **kwargs, **options)
        metrics = task.score(documents, references, summaries)
        metrics.update(decoding_record(config))
        return metrics, (documents, references, summaries)

    def score(self, task, data, args):
        batch_size = max(args.batch_size, 32)
        metrics, rows = self.summaries(
            task, data.test, args, batch_size=batch_size
        )
        first = rows[1][0]
        metrics.update(
            train_seconds=task.train_seconds,
            baseline="Lead-3",
            test_examples=len(rows[0]),
            references_per_example=len(first) if isinstance(first, list) else 1,
            config=task.get_config(),
        )
        keys = ("document", "reference", "prediction")
        examples = [
            dict(zip(keys, row, strict=True)) for row in zip(*rows, strict=True)
        ][:EXAMPLES]
        return metrics, {"examples.jsonl": examples}

    def evaluate_model(self, task, inputs, args):
        """ROUGE vs Lead-3 into ``evaluation-NAME.json``, the worst-ROUGE-L
        summaries into ``top_losses-NAME.csv`` (NAME: the sampler,
        ``beam4`` for 4 beams)."""
        from nlptoolkit.training import summarization_top_losses

        start = time.perf_counter()
        top_k = {"top_k": args.sampler_top_k}
        metrics, rows = self.summaries(task, inputs, args, top_k)
        seconds = time.perf_counter() - start
        print(self.table(metrics, ["metric", "model", "Lead-3"]))
        beams = metrics["num_beams"]
        name = f"beam{beams}" if beams else metrics["sampler"]
        split = "test" if args.test_file else args.split
        model, examples = os.path.abspath(args.model), len(rows[0])
        metrics.update(model=model, split=split, examples=examples)
        metrics["decode_seconds"] = seconds
        top = summarization_top_losses(*rows, k=args.top_k)
        files = {
            f"evaluation-{name}.json": metrics,
            f"top_losses-{name}.csv": top,
        }
        return files, f"{len(top)} lowest-ROUGE-L summaries"

    def add_run_arguments(self, parser):
        parser.add_argument(
            "input",
            help="a .txt file (one document), a CSV/TSV/JSONL file "
            "(--document-column), or the text itself",
        )
        parser.add_argument("--document-column", default="document")

    def run_model(self, task, args, callbacks):
        text, documents = args.input, [args.input]
        if text.endswith((".csv", ".tsv", ".jsonl")):
            columns = {"document": args.document_column}
            documents = self.read_file(text, columns)["document"].tolist()
        elif text.endswith(".txt") and not os.path.isfile(text):
            raise FileNotFoundError(f"No such file: {text!r}")
        elif os.path.isfile(text):
            with open(text, encoding="utf-8") as handle:
                documents = [handle.read()]
        options, _ = decoding(args, task.summarize)
        print(
            "\n".join(task.summarize(documents, callbacks=callbacks, **options))
        )


def sample_prompts(dataset, texts, count=3, words=3):
    r"""Prompts for the samples ``train`` writes: Shakespeare's names for
    Tiny Shakespeare; otherwise the first ``words`` words of ``count``
    lines spread over ``texts`` (so a PTB model is not asked to go on
    from ``ROMEO:``).

    Example:
    >>> sample_prompts("ptb", ["the market fell today\nshares of ibm rose"])
    ['the market fell', 'shares of ibm']
    """
    lines = [line for text in texts for line in text.splitlines()]
    lines = [line for line in lines if line.split()]
    if dataset == "tiny_shakespeare" or not lines:
        return list(SAMPLE_PROMPTS)
    picks = lines[:: max(1, len(lines) // count)][:count]
    return [" ".join(line.split()[:words]) for line in picks]


class GeneratorCommands(TaskCommands):
    """``generation``: loss and perplexity against an n-gram model.

    ``train --backbone HANDLE_OR_DIR`` fine-tunes a pretrained causal LM
    with its own tokenizer; of the size options only ``--sequence-length``
    (the training window) applies."""

    file_subset = "whole"  # a corpus file is read whole
    model_kind = "generators"
    train_defaults = {"sequence_length": 64}
    train_flags = [
        MAX_MINUTES,
        ("ngram-order", base.positive_int, None, "order of the n-gram "
         "baseline (default: 7 for chars, 3 for words)"),
    ]  # fmt: skip
    decodes = TextGenerator.generate
    decoding_flags = {"generate": ((), {"sampler": "top_k", "max_length": 200})}

    def read_file(self, path, columns):
        if path.endswith((".csv", ".tsv", ".jsonl")):
            return super().read_file(path, columns)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No such file: {path!r}")
        import pandas as pd

        with open(path, encoding="utf-8") as handle:
            return pd.DataFrame({"text": [handle.read()]})

    def load_data(self, args):
        train = self.split(args, "train")
        held_out = self.split(args, "test" if args.test_file else "validation")
        return Data(
            train, held_out[0], held_out, self.dataset_name(args), train[0]
        )

    def score(self, task, data, args):
        from nlptoolkit.baselines import NGramLanguageModel

        (validation,), level = data.test, task.tokenizer_level
        metrics = task.evaluate(validation)
        if level not in ("char", "preset"):  # A preset's has them.
            metrics.update(task.word_metrics(validation, metrics["loss"]))
        level = "char" if level == "char" else "word"
        order = args.ngram_order or (7 if level == "char" else 3)
        start = time.perf_counter()
        ngram = NGramLanguageModel(order=order, level=level).fit(data.texts)
        baseline = ngram.evaluate(validation)
        context = task.decoder.adapter.max_positions
        length = 200 if context is None else max(1, context - 16)
        if task.pretrained:
            length = min(length, task.pretrained_sample_length)
        config = {"max_length": length, "sampler": "top_k", "seed": args.seed}
        metrics.update(
            train_seconds=task.train_seconds,
            baseline=f"{order}-gram Kneser-Ney ({level})",
            baseline_loss=baseline["loss"],
            baseline_perplexity=baseline["perplexity"],
            baseline_seconds=time.perf_counter() - start,
            generation_config=GenerationConfig(**config).to_dict(),
            tokenizer=task.tokenizer_level,
        )
        dataset = None if args.train_file else args.dataset
        samples = task.generate(sample_prompts(dataset, validation), **config)
        return metrics, {"samples.txt": SEPARATOR.join(samples) + "\n"}

    def wrote(self, output, files):
        sample = files["samples.txt"].split(SEPARATOR)[0]
        return f"\n{sample}\n{super().wrote(output, files)}"

    def add_run_arguments(self, parser):
        help_text = "a prompt (repeat for a batch)"
        parser.add_argument("--prompt", action="append", help=help_text)
        stream = "print tokens as they come (stepwise)"
        base.add_flags(parser, [("stream", bool, False, stream)])

    def run_model(self, task, args, callbacks):
        prompts, decode, on_token = args.prompt or [""], args.decode, None
        if args.stream:
            decode = "stepwise" if decode == "fused" else decode
        options, _ = decoding(args, task.generate, decode=decode)
        if args.stream:
            if len(prompts) > 1:
                raise UserError("--stream shows one prompt; pass one --prompt")
            sys.stdout.write(prompts[0])

            def on_token(step, token_ids, texts):
                sys.stdout.write(texts[0])
                sys.stdout.flush()

        texts = task.generate(
            prompts, callbacks=callbacks, on_token=on_token, **options
        )
        print("" if args.stream else SEPARATOR.join(texts))


COMMANDS = {
    "classification": ClassifierCommands,
    "sentiment": ClassifierCommands,
    "summarization": SummarizerCommands,
    "generation": GeneratorCommands,
}


def task_commands(task):
    """The :class:`TaskCommands` of a task id or alias."""
    spec = get_task_spec(task)
    return COMMANDS[spec.id](spec)


def task_main(task):
    """``python -m nlptoolkit.tasks.<task>``'s ``main(argv)``."""
    return task_commands(task).main()


def train_parser(task):
    """The ``train`` parser of ``python -m nlptoolkit.tasks.<task>``."""
    if task not in COMMANDS:
        raise UserError(
            f"Unknown task. Received: task={task!r}. Expected one of "
            f"{list(COMMANDS)}."
        )
    parser = task_commands(task).build_parser()
    return recipes.subcommand_parser(parser, "train")


def check_recipe(path, task=None):
    """Read a recipe and check every ``train`` value against its task's
    ``train`` parser, without training: ``(recipe, {dest: value})``.

    Example:
    >>> import json, os, tempfile
    >>> from nlptoolkit.cli import check_recipe
    >>> recipe = {"task": "generation", "train": {"max-minutes": 5}}
    >>> path = os.path.join(tempfile.mkdtemp(), "generation.json")
    >>> with open(path, "w") as handle:
    ...     json.dump(recipe, handle)
    >>> check_recipe(path)[1]
    {'max_minutes': 5.0}
    """
    recipe = recipes.read_recipe(path, task=task)
    parser = train_parser(recipe["task"])
    return recipe, recipes.recipe_defaults(recipe, parser, path)
