"""What each task's command line does that the others do not: its model
options, how its columns are read, its baseline, its extra files, and its
predict-like verb (``predict``, ``summarize``, ``generate``).

:data:`COMMANDS` maps a task id to its :class:`TaskCommands` subclass;
:func:`task_main` gives ``python -m nlptoolkit.tasks.<task>``'s ``main``.
"""

import dataclasses
import inspect
import json
import logging
import os
import sys
import time

from nlptoolkit.cli import base
from nlptoolkit.cli import recipes
from nlptoolkit.cli.base import UserError
from nlptoolkit.cli.commands import Data
from nlptoolkit.cli.commands import TaskCommands
from nlptoolkit.cli.config import add_config_arguments
from nlptoolkit.cli.config import config_from_args
from nlptoolkit.decoding import GenerationConfig
from nlptoolkit.tasks.classification import TextClassifier
from nlptoolkit.tasks.generation import TextGenerator
from nlptoolkit.tasks.registry import get_task_spec
from nlptoolkit.tasks.summarization import Summarizer

logger = logging.getLogger("nlptoolkit")
EXAMPLES = 20  # summaries written to examples.jsonl
SAMPLE_PROMPTS = ["ROMEO:", "First Citizen:\n", "The king"]
SUMMARIZE = Summarizer.summarize
MAX_MINUTES = ("max-minutes", base.positive_float, 5.0,
               "stop training after this long (default 5)")  # fmt: skip


def decoding_fields(method):
    """The ``GenerationConfig`` fields ``method`` (``generate``,
    ``summarize``) takes: all of them where it takes ``config=``."""
    takes = inspect.signature(method).parameters
    fields = dataclasses.fields(GenerationConfig)
    return [f.name for f in fields if "config" in takes or f.name in takes]


def add_decoding_arguments(parser, method, exclude=(), **defaults):
    """The decoding flags, one per ``GenerationConfig`` field that
    ``method`` takes (``defaults``: this command's own defaults)."""
    names = [name for name in decoding_fields(method) if name not in exclude]
    add_config_arguments(parser, GenerationConfig, defaults, fields=names)


def decoding(args, method, **changes):
    """``(keyword arguments for method, GenerationConfig)`` of the
    decoding flags (the config checks them together)."""
    config = config_from_args(GenerationConfig, args).replace(**changes)
    takes = inspect.signature(method).parameters
    if "config" in takes:
        return {"config": config}, config
    names = decoding_fields(method)
    return {name: getattr(config, name) for name in names}, config


def decoding_record(config):
    """What ``metrics.json`` records of a config: its sampler's settings
    (as before ``GenerationConfig``) and ``generation_config``."""
    sampler = config.make_sampler()
    return {
        "sampler": config.sampler,
        "num_beams": getattr(sampler, "num_beams", None),
        "length_penalty": getattr(sampler, "length_penalty", None),
        "no_repeat_ngram_size": config.no_repeat_ngram_size,
        "generation_config": config.to_dict(),
    }


class ClassifierCommands(TaskCommands):
    """``classification`` and ``sentiment``: against TF-IDF + logistic
    regression."""

    evaluate_writes = evaluate_needs_dataset = True
    file_subset = "sample"
    model_kind = "classifiers"
    model_options = {
        "sequence_length": "tokens kept per text (default: 95th "
        "percentile, <= 512)",
        "hidden_dim": None,
        "num_layers": None,
        "vocabulary_size": None,
    }

    load_class = TextClassifier  # sentiment's CLI runs any classifier

    def add_train_arguments(self, parser):
        # The classifiers' training defaults, as their parsers had them.
        parser.set_defaults(
            optimizer="adamw", schedule="cosine", early_stopping=True
        )
        base.add_flags(parser, [
            ("freeze-backbone", bool, False,
             "pretrained backbones: keep its weights, train the head only"),
            ("class-weight", ("balanced",), None,
             "weight classes inversely to their frequency"),
        ])  # fmt: skip

    def model_kwargs(self, args):
        kwargs = super().model_kwargs(args)
        if args.freeze_backbone:
            kwargs["freeze_backbone"] = True
        return kwargs

    def fit_options(self, args):
        return {**super().fit_options(args), "class_weight": args.class_weight}

    def epochs(self, task, args):
        if task.pretrained and not args.epochs:
            return None  # The task's own: few for a pretrained model.
        return super().epochs(task, args)

    def load_data(self, args):
        from nlptoolkit import datasets

        if args.train_file and not args.test_file:
            raise UserError(
                "--train-file needs --test-file too (the file to report "
                "test metrics on)."
            )
        name, splits = os.path.basename(args.train_file or ""), ()
        if not args.train_file:
            info = datasets.get_info(args.dataset)
            name, splits = info.name, info.split_names
        train = self.read_split(args, "train")
        test = self.read_split(args, "test")
        # Without a validation split, ``fit`` holds out 10% of the training
        # rows itself (stratified by label, seeded) for early stopping.
        validation, shown = None, "10% of train"
        if "validation" in splits:
            frame = self.read_split(args, "validation")
            validation, shown = (frame["text"], frame["label"]), len(frame)
        logger.info(
            "%s: %d train / %s validation / %d test rows",
            *(name, len(train), shown, len(test)),
        )
        train_data = (train["text"], train["label"])
        texts = train["text"].tolist()
        return Data(train_data, validation, test, name, name, texts)

    def score(self, task, data, args):
        from nlptoolkit.baselines import TfidfLogisticRegression

        texts, labels = data.test["text"], data.test["label"]
        metrics = task.evaluate(texts, labels)
        start = time.perf_counter()
        baseline = TfidfLogisticRegression(seed=args.seed)
        baseline.fit(data.texts, data.train[1].tolist())
        scores = baseline.evaluate(texts.tolist(), labels.tolist())
        metrics.update(
            baseline="tfidf-1-2gram+logreg",
            baseline_accuracy=scores["accuracy"],
            baseline_macro_f1=scores["macro_f1"],
            baseline_train_seconds=time.perf_counter() - start,
        )
        return metrics, None

    def record(self, task, data, args, state):
        config = task.training_config
        return {
            "sequence_length": task.model.task_config["sequence_length"],
            "train_rows": config["train_rows"],
            "validation_rows": config["validation_rows"],
            "validation_carved_from_train": data.validation is None,
            "test_rows": len(data.test),
        }

    def write_extras(self, tmp, task, metrics, state):
        from nlptoolkit.metrics import plot_confusion_matrix

        path = os.path.join(tmp, "confusion_matrix.png")
        names = metrics["label_names"]
        plot_confusion_matrix(metrics["confusion_matrix"], names, path)

    def wrote(self, output, state):
        return f"\nwrote {output}/model.keras, metrics.json, history.csv, plots"

    def check_evaluate_args(self, args):
        if not args.test_file and not args.dataset:
            raise UserError("evaluate needs --dataset NAME or --test-file")

    def evaluate_model(self, task, args):
        frame = self.read_split(args, "test" if args.test_file else args.split)
        metrics = task.evaluate(frame["text"], frame["label"])
        rows = [[k, f"{metrics[k]:.4f}"] for k in ("accuracy", "macro_f1")]
        print(base.format_table(rows, ["metric", "value"]))
        top = task.top_losses(frame["text"], frame["label"], k=args.top_k)
        return {"top_losses.csv": top}, f"{len(top)} highest-loss examples"

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
    """``summarization``: ROUGE against Lead-3."""

    evaluate_writes = True
    model_kind = "summarizers"
    model_options = {
        "tokenizer": "word | wordpiece (default word; a pretrained "
        "--backbone brings its own)",
        "vocabulary_size": None,
        "sequence_length": "document tokens kept (default 256; a "
        "pretrained model: at most its positions)",
        "summary_length": "summary tokens for training (default 64)",
        "hidden_dim": None,
        "intermediate_dim": None,
        "num_layers": None,
        "num_heads": None,
    }

    def add_train_arguments(self, parser):
        base.add_flags(parser, [MAX_MINUTES])
        # --seed is training's; the test summaries are decoded with these.
        add_decoding_arguments(parser, SUMMARIZE, ("seed",), sampler="greedy")

    def add_evaluate_arguments(self, parser):
        # --top-k is the rows of top_losses-NAME.csv here (as before).
        add_decoding_arguments(parser, SUMMARIZE, ("top_k",), sampler="greedy")

    def check_train_args(self, args):
        decoding(args, SUMMARIZE)  # The test summaries' settings fail now.
        if args.test_file and not args.train_file:
            raise UserError("--test-file needs --train-file as well")

    def check_evaluate_args(self, args):
        decoding(args, SUMMARIZE)

    def fit_options(self, args):
        options = super().fit_options(args)
        return {**options, "max_seconds": args.max_minutes * 60}

    def pairs(self, args, split):
        """(documents, summaries, references) of a split; references may
        be lists (several per document)."""
        frame = self.read_split(args, split)
        summaries = frame["summary"].tolist()
        references = summaries
        if "references" in frame.columns:
            references = frame["references"].tolist()
        return frame["document"].tolist(), summaries, references

    def load_data(self, args):
        documents, summaries, _ = self.pairs(args, "train")
        test = self.pairs(args, "test")
        # Validation loss from the dataset's validation split (the test
        # file when training from files); nothing is selected on it.
        validation = test if args.train_file else self.pairs(args, "validation")
        name = os.path.basename(args.train_file or "") or args.dataset
        texts = documents + summaries
        train = (documents, summaries)
        return Data(train, validation[:2], test, name, args.dataset, texts)

    def score(self, task, data, args):
        documents, _, references = data.test
        options, _ = decoding(args, task.summarize)
        batch_size = max(args.batch_size, 32)
        summaries = task.summarize(documents, **options, batch_size=batch_size)
        metrics = task.score(documents, references, summaries)
        metrics["train_seconds"] = task.train_seconds
        return metrics, (documents, references, summaries)

    def record(self, task, data, args, state):
        first = data.test[2][0]
        return {
            "baseline": "Lead-3",
            "test_examples": len(data.test[0]),
            "references_per_example": len(first)
            if isinstance(first, list)
            else 1,
            **decoding_record(decoding(args, SUMMARIZE)[1]),
            "config": task.get_config(),
        }

    def write_extras(self, tmp, task, metrics, state):
        keys = ("document", "reference", "prediction")
        rows = list(zip(*state, strict=True))[:EXAMPLES]
        path = os.path.join(tmp, "examples.jsonl")
        with open(path, "w", encoding="utf-8") as handle:
            for row in rows:
                record = dict(zip(keys, row, strict=True))
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def evaluate_model(self, task, args):
        """ROUGE vs Lead-3 into ``evaluation-NAME.json``, the worst-ROUGE-L
        summaries into ``top_losses-NAME.csv`` (NAME: the sampler,
        ``beam4`` for 4 beams)."""
        from nlptoolkit.training import summarization_top_losses

        split = "test" if args.test_file else args.split
        documents, _, references = self.pairs(args, split)
        options, config = decoding(args, task.summarize)
        start = time.perf_counter()
        summaries = task.summarize(documents, **options)
        seconds = time.perf_counter() - start
        metrics = task.score(documents, references, summaries)
        print(self.table(metrics, ["metric", "model", "Lead-3"]))
        record = decoding_record(config)
        beams = record["num_beams"]
        name = f"beam{beams}" if beams else record["sampler"]
        metrics.update(
            model=os.path.abspath(args.model),
            split=split,
            examples=len(documents),
            **record,
            decode_seconds=seconds,
        )
        top = summarization_top_losses(
            documents, references, summaries, k=args.top_k
        )
        files = {f"evaluation-{name}.json": metrics}
        files[f"top_losses-{name}.csv"] = top
        return files, f"{len(top)} lowest-ROUGE-L summaries"

    def add_run_arguments(self, parser):
        parser.add_argument(
            "input",
            help="a .txt file (one document), a CSV/TSV/JSONL file "
            "(--document-column), or the text itself",
        )
        parser.add_argument("--document-column", default="document")
        add_decoding_arguments(parser, SUMMARIZE, sampler="beam")

    def documents(self, args):
        text = args.input
        if text.endswith((".csv", ".tsv", ".jsonl")):
            columns = {"document": args.document_column}
            return self.read_file(text, columns)["document"].tolist()
        if text.endswith(".txt") and not os.path.isfile(text):
            raise FileNotFoundError(f"No such file: {text!r}")
        if os.path.isfile(text):
            with open(text, encoding="utf-8") as handle:
                return [handle.read()]
        return [text]

    def run_model(self, task, args, callbacks):
        options, _ = decoding(args, task.summarize)
        documents = self.documents(args)
        summaries = task.summarize(documents, callbacks=callbacks, **options)
        print("\n".join(summaries))


def sample_prompts(dataset, texts, count=3, words=3):
    r"""Prompts for the samples ``train`` writes: Shakespeare's names for
    Tiny Shakespeare; otherwise the first ``words`` words of ``count``
    lines spread over ``texts`` (so a PTB model is not asked to go on
    from ``ROMEO:``).

    Example:
    >>> sample_prompts("ptb", ["the market fell today\nshares of ibm rose"])
    ['the market fell', 'shares of ibm']
    """
    if dataset == "tiny_shakespeare":
        return list(SAMPLE_PROMPTS)
    lines = [line for text in texts for line in text.splitlines()]
    lines = [line for line in lines if line.split()]
    if not lines:
        return list(SAMPLE_PROMPTS)
    picks = lines[:: max(1, len(lines) // count)][:count]
    return [" ".join(line.split()[:words]) for line in picks]


class GeneratorCommands(TaskCommands):
    """``generation``: loss and perplexity against an n-gram model.

    ``train --backbone HANDLE_OR_DIR`` fine-tunes a pretrained causal LM
    with its own tokenizer; of the size options only ``--sequence-length``
    (the training window) applies."""

    file_subset = None  # a corpus file is read whole
    model_kind = "generators"
    model_options = {
        "tokenizer": "char | word | wordpiece (default char; a pretrained "
        "--backbone brings its own)",
        "sequence_length": None,
        "vocabulary_size": "largest vocabulary, special tokens included "
        "(default: 512 for chars, 8000 otherwise)",
        "hidden_dim": None,
        "num_layers": None,
    }

    def add_train_arguments(self, parser):
        parser.set_defaults(sequence_length=64)
        base.add_flags(parser, [
            MAX_MINUTES,
            ("ngram-order", base.positive_int, None, "order of the n-gram "
             "baseline (default: 7 for chars, 3 for words)"),
        ])  # fmt: skip

    def fit_options(self, args):
        options = super().fit_options(args)
        return {**options, "max_seconds": args.max_minutes * 60}

    def read_file(self, path, columns):
        if path.endswith((".csv", ".tsv", ".jsonl")):
            return super().read_file(path, columns)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No such file: {path!r}")
        import pandas as pd

        with open(path, encoding="utf-8") as handle:
            return pd.DataFrame({"text": [handle.read()]})

    def corpus(self, args, split):
        return self.read_split(args, split)["text"].tolist()

    def load_data(self, args):
        train = self.corpus(args, "train")
        held_out = self.corpus(args, "test" if args.test_file else "validation")
        name = os.path.basename(args.train_file or "") or args.dataset
        return Data((train,), held_out, held_out, name, args.dataset, train)

    def score(self, task, data, args):
        from nlptoolkit.baselines import NGramLanguageModel

        validation, level = data.test, task.tokenizer_level
        metrics = task.evaluate(validation)
        if level not in ("char", "preset"):  # A preset's has them.
            metrics.update(task.word_metrics(validation, metrics["loss"]))
        level = "char" if level == "char" else "word"
        order = args.ngram_order or (7 if level == "char" else 3)
        start = time.perf_counter()
        ngram = NGramLanguageModel(order=order, level=level).fit(data.texts)
        baseline = ngram.evaluate(validation)
        metrics.update(
            train_seconds=task.train_seconds,
            baseline=f"{order}-gram Kneser-Ney ({level})",
            baseline_loss=baseline["loss"],
            baseline_perplexity=baseline["perplexity"],
            baseline_seconds=time.perf_counter() - start,
        )
        context = task.decoder.adapter.max_positions
        length = 200 if context is None else max(1, context - 16)
        if task.pretrained:
            length = min(length, task.pretrained_sample_length)
        dataset = None if args.train_file else args.dataset
        config = {"max_length": length, "sampler": "top_k", "seed": args.seed}
        samples = task.generate(sample_prompts(dataset, validation), **config)
        metrics["generation_config"] = GenerationConfig(**config).to_dict()
        return metrics, samples

    def record(self, task, data, args, state):
        return {"tokenizer": task.tokenizer_level}

    def write_extras(self, tmp, task, metrics, state):
        path = os.path.join(tmp, "samples.txt")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n\n-----\n\n".join(state) + "\n")

    def wrote(self, output, state):
        return f"\n{state[0]}\n\nwrote {output}/"

    def evaluate_model(self, task, args):
        split = "test" if args.test_file else args.split
        metrics = task.evaluate(self.corpus(args, split))
        rows = [[k, f"{v:.4f}"] for k, v in metrics.items()]
        print(base.format_table(rows, ["metric", "value"]))
        return {}, None

    def add_run_arguments(self, parser):
        parser.add_argument(
            "--prompt",
            action="append",
            help="a prompt (repeat for a batch)",
        )
        generate = TextGenerator.generate
        add_decoding_arguments(
            parser, generate, sampler="top_k", max_length=200
        )
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
        print("" if args.stream else "\n\n-----\n\n".join(texts))


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
    >>> import json, pathlib, tempfile
    >>> from nlptoolkit.cli import check_recipe
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gen.json"
    >>> _ = path.write_text(json.dumps(
    ...     {"task": "generation", "train": {"max-minutes": 5}}))
    >>> check_recipe(str(path))[1]
    {'max_minutes': 5.0}
    """
    recipe = recipes.read_recipe(path, task=task)
    parser = train_parser(recipe["task"])
    return recipe, recipes.recipe_defaults(recipe, parser, path)
