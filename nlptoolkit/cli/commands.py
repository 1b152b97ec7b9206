"""One generic ``train`` / ``evaluate`` / predict-like command set, built
from a task's :class:`~nlptoolkit.tasks.registry.TaskSpec`.

:class:`TaskCommands` does what every task's command line does: parse,
refuse a bad output folder first, load the data, train, score against the
baseline, write every file atomically, print the model-vs-baseline table;
a subclass per task family (``nlptoolkit.cli.hooks``) fills in its hooks.
"""

import collections
import dataclasses
import functools
import inspect
import json
import os
import time

import pandas as pd

from nlptoolkit.cli import base
from nlptoolkit.cli import recipes
from nlptoolkit.cli.base import UserError
from nlptoolkit.cli.config import add_config_arguments
from nlptoolkit.cli.config import config_from_args
from nlptoolkit.decoding import GenerationConfig


def make_main(build_parser, commands):
    """A task CLI's ``main(argv)``: parse (applying ``--recipe``, see
    :func:`~nlptoolkit.cli.recipes.parse_args`), dispatch to
    ``commands[name]`` (no subcommand means ``train``), and turn user
    errors into exit 2. ``main.build_parser`` is kept."""

    def _main(argv):
        parser = build_parser()
        args = recipes.parse_args(parser, argv)
        if args.command == "train":  # before train's code changes args
            args.default_run = recipes.default_run_task(parser, args)
        base.configure_logging(getattr(args, "verbose", False))
        if getattr(args, "clock", None):  # refused now, not after the run
            base.check_output(args.clock, args, what="--clock")
        try:
            return commands[args.command](args)
        except KeyboardInterrupt:
            raise base.Interrupted(base.interrupt_message(args)) from None

    def main(argv=None):
        return base.run(_main, argv)

    main.build_parser = build_parser
    return main


def add_training_arguments(parser):
    """Optimizer, schedule, early stopping, LR finder, TensorBoard: the
    options of every task's ``fit`` (``nlptoolkit.training.policy``;
    None: the task's own default)."""
    from nlptoolkit.training import schedules

    group = parser.add_argument_group("training")
    base.add_flags(group, [
        ("optimizer", schedules.OPTIMIZERS, None, "default: the task's "
         "(classifiers: adamw, weight decay 0.01, clipnorm 1.0)"),
        ("learning-rate", base.positive_float, None, "peak (cosine) or "
         "constant learning rate (default: the task's, e.g. 1e-3 LSTM, "
         "5e-4 Transformer classifiers)"),
        ("schedule", schedules.SCHEDULES, None, "cosine: linear warm-up "
         "over 10%% of the steps, then cosine decay to 0; constant "
         "(default: the task's; classifiers: cosine)"),
    ])  # fmt: skip
    group.add_argument(
        "--no-early-stopping", dest="early_stopping", action="store_const",
        const=False, default=None, help="train all epochs (default: the "
        "task's; classifiers stop after an epoch that improves neither "
        "validation accuracy nor loss, and keep the best epoch)",
    )  # fmt: skip
    base.add_flags(group, [
        ("find-lr", bool, False, "run a learning-rate range test first, "
         "print its suggestion, save lr_finder.png/.csv, and train with it"),
        ("tensorboard", None, None,
         "write TensorBoard logs (scalars, graph) to DIR", "DIR"),
    ])  # fmt: skip


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
    if "config" in inspect.signature(method).parameters:
        return {"config": config}, config
    return {n: getattr(config, n) for n in decoding_fields(method)}, config


def decoding_record(config):
    """What ``metrics.json`` records of a config: its sampler's settings
    (as before ``GenerationConfig``) and ``generation_config``."""
    sampler, names = config.make_sampler(), ("num_beams", "length_penalty")
    return {
        **{name: getattr(sampler, name, None) for name in names},
        "sampler": config.sampler,
        "no_repeat_ngram_size": config.no_repeat_ngram_size,
        "generation_config": config.to_dict(),
    }


Data = collections.namedtuple("Data", "train validation test name texts")
Data.__doc__ = """What ``train`` reads: the ``train``, ``validation`` and
``test`` inputs, the ``name`` recorded as ``dataset``, ``texts`` (hashed
into the manifest)."""

# train flag dest -> ``fit`` keyword (where the flag is on the parser).
FIT_OPTIONS = {"optimizer": "optimizer", "learning_rate": "learning_rate",
               "schedule": "schedule", "early_stopping": "early_stopping",
               "tensorboard": "tensorboard_dir",
               "class_weight": "class_weight"}  # fmt: skip


def write_files(folder, files, strategy=None, overwrite=False, own=()):
    """``{name: content}`` into ``folder`` atomically: a DataFrame as CSV
    (rows numbered), a dict as JSON, a list as JSON lines, text as it is;
    a callable writes its file itself (``callable(path)``)."""
    with base.atomic_output_dir(folder, strategy, overwrite, own=own) as tmp:
        for name, content in files.items():
            path = os.path.join(tmp, name)
            if isinstance(content, pd.DataFrame):
                base.write_csv(content.rename_axis("row"), path)
            elif isinstance(content, dict):
                base.write_json(path, content)
            elif callable(content):
                content(path)
            else:
                if isinstance(content, list):
                    rows = [json.dumps(r, ensure_ascii=False) for r in content]
                    content = "".join(row + "\n" for row in rows)
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(content)


class TaskCommands:
    """The command line of one task (``spec``). A subclass sets the class
    attributes and fills in the hooks: ``load_data(args)`` (a
    :class:`Data`), ``score(task, data, args)`` (test metrics beside the
    baseline's and the task's own entries, and its own files),
    ``add_run_arguments(parser)`` and ``run_model(task, args,
    callbacks)`` (the predict-like verb); ``inputs`` and
    ``evaluate_model`` where the generic ones do not fit."""

    evaluate_writes = False  # evaluate has --output, --overwrite, --top-k
    evaluate_needs_dataset = False  # evaluate has no default --dataset
    file_subset = "head"  # --max-examples on a file: "head" | "sample"
    model_kind = None  # "classifiers": what evaluate and run accept
    load_class = None  # the class they accept (default: the spec's)
    train_defaults = {}  # this task's train defaults over the shared ones
    train_flags = ()  # this task's train flags, rows for base.add_flags
    decodes = None  # the method whose decoding flags the commands take
    decoding_flags = {}  # {command: (fields left out, its defaults)}
    evaluate_keys = None  # the metrics evaluate prints (default: all)

    def __init__(self, spec):
        self.spec = spec

    def build_parser(self):
        """``python -m nlptoolkit.tasks.<task>``'s parser."""
        spec = self.spec
        parser = base.ArgumentParser(
            prog=f"python -m nlptoolkit.tasks.{spec.id}",
            description=spec.description,
        )
        sub = parser.add_subparsers(dest="command")
        train = sub.add_parser("train", help=spec.help["train"])
        base.add_common_train_arguments(train, spec.default_dataset)
        self.add_columns(train)
        for dest, help_text in spec.model_options.items():
            kind = None if dest == "tokenizer" else base.positive_int
            flag = "--" + dest.replace("_", "-")
            train.add_argument(flag, type=kind, default=None, help=help_text)
        add_training_arguments(train)
        train.set_defaults(backbone=spec.default_backbone)
        train.set_defaults(**self.train_defaults)
        base.add_flags(train, self.train_flags)
        recipes.add_recipe_argument(train, spec.id)

        evaluate = sub.add_parser("evaluate", help=spec.help["evaluate"])
        evaluate.add_argument("--model", required=True, help="model.keras")
        default = None if self.evaluate_needs_dataset else spec.default_dataset
        base.add_flags(evaluate, [
            ("dataset", None, default, None),
            ("split", None, "test", None),
            ("test-file", None, None, None),
            ("max-examples", base.positive_int, None, None),
        ])  # fmt: skip
        self.add_columns(evaluate)
        if self.evaluate_writes:
            base.add_flags(evaluate, [
                ("output", None, None, "directory for its files (default: "
                 "the model's directory)"), base.OVERWRITE,
            ])  # fmt: skip
            evaluate.add_argument(
                "--top-k", "--top-losses", dest="top_k", default=20,
                type=base.positive_int, help="rows in the top-losses CSV, "
                "worst first (default 20)",
            )  # fmt: skip

        run = sub.add_parser(spec.command, help=spec.help[spec.command])
        run.add_argument("--model", required=True, help="model.keras path")
        self.add_run_arguments(run)
        base.add_clock_argument(run)
        commands = {"train": train, "evaluate": evaluate, spec.command: run}
        for name, (exclude, defaults) in self.decoding_flags.items():
            add_decoding_arguments(
                commands[name], self.decodes, exclude, **defaults
            )
        return parser

    def add_columns(self, parser):
        for role, column in self.spec.columns.items():
            parser.add_argument(f"--{role}-column", default=column)

    def main(self):
        """The task CLI's ``main(argv)`` (see :func:`make_main`)."""
        commands = {"train": self.train, "evaluate": self.evaluate}
        commands[self.spec.command] = self.run
        return make_main(self.build_parser, commands)

    def split(self, args, split):
        """One split as the task's inputs: ``--train-file``
        (``split="train"``) or ``--test-file`` (the others) when given,
        else the named dataset's split."""
        from nlptoolkit import datasets

        path = args.train_file if split == "train" else args.test_file
        if not path:
            frame = datasets.load(
                args.dataset, split, max_examples=args.max_examples
            )
            return self.inputs(frame)
        roles = self.spec.columns
        names = {role: getattr(args, f"{role}_column") for role in roles}
        frame, most = self.read_file(path, names), args.max_examples
        if most and self.file_subset == "sample":
            frame = frame.sample(n=min(most, len(frame)), random_state=0)
            frame = frame.reset_index(drop=True)
        elif most and self.file_subset == "head":
            frame = frame.head(most)
        return self.inputs(frame)

    def read_file(self, path, columns):
        from nlptoolkit import datasets

        return datasets.read_file(path, columns=columns)

    def dataset_name(self, args):
        """What ``metrics.json`` records as ``dataset``."""
        from nlptoolkit import datasets

        if args.train_file:
            return os.path.basename(args.train_file)
        return datasets.get_info(args.dataset).name

    def check_args(self, args):
        """Refuse bad ``train`` / ``evaluate`` options before any work."""
        if getattr(args, "find_lr", False) and args.learning_rate is not None:
            raise UserError(
                "--find-lr chooses the learning rate; drop --learning-rate "
                f"{args.learning_rate} (or --find-lr)."
            )
        if args.command in self.decoding_flags:  # its settings fail now
            decoding(args, self.decodes)

    def model_kwargs(self, args):
        """The task constructor's options given on the command line (the
        task's defaults apply to the others)."""
        values = {n: getattr(args, n, None) for n in self.spec.model_options}
        return {n: value for n, value in values.items() if value is not None}

    def epochs(self, task, args):
        return args.epochs or self.spec.default_epochs

    def find_learning_rate(self, task, data, args):
        """``--find-lr``: the LR finder's result (printed), else None."""
        if not args.find_lr:
            return None
        from nlptoolkit.training.lr_finder import MINIMUM_DIVISOR

        finder = task.find_learning_rate(
            *data.train, batch_size=args.batch_size, optimizer=args.optimizer
        )
        print(
            f"lr finder: suggested learning rate {finder.suggestion:.3g} "
            f"({finder.method}; steepest {finder.steepest:.3g}, "
            f"minimum/{MINIMUM_DIVISOR:g} {finder.minimum:.3g})"
        )
        return finder

    def train(self, args):
        """``train``: fit, score against the baseline, save, print."""
        from nlptoolkit.metrics import plot_history

        # First: a multi-worker strategy must set up TF before anything.
        strategy = base.make_strategy(args.strategy)
        own = base.own_folders(args)
        if args.output:  # refused now, not after training
            base.check_output(args.output, args, own=own)
        self.check_args(args)
        args.dataset = args.dataset or self.spec.default_dataset
        data = self.load_data(args)
        task = self.spec.task_class(
            args.backbone, seed=args.seed, strategy=strategy,
            **self.model_kwargs(args),
        )  # fmt: skip
        recipes.log_default_notice(args, data.name)
        start = time.perf_counter()
        finder = self.find_learning_rate(task, data, args)
        options = {k: getattr(args, d) for d, k in FIT_OPTIONS.items()
                   if hasattr(args, d)}  # fmt: skip
        if hasattr(args, "max_minutes"):
            options["max_seconds"] = args.max_minutes * 60
        if finder is not None:
            options["learning_rate"] = finder.suggestion
        history = task.fit(
            *data.train, validation_data=data.validation,
            epochs=self.epochs(task, args), batch_size=args.batch_size,
            verbose=base.keras_verbose(), checkpoint_dir=args.checkpoint_dir,
            **options,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        metrics, own_files = self.score(task, data, args)
        metrics.setdefault("train_seconds", seconds)
        metrics.update(
            epochs_run=len(history.epoch), dataset=data.name,
            backbone=task.backbone_name, seed=args.seed,
            pretrained=task.model.task_config.get("pretrained"),
            parameters=task.count_params, training=task.training_config,
            recipe=recipes.recipe_record(args),
            manifest=base.manifest(
                args.seed, data.name, data.texts, task.tokenizer
            ),
            lr_finder=finder and finder.to_dict(),
        )  # fmt: skip
        curves = history.history
        files = {
            "model.keras": task.save, "metrics.json": metrics,
            "history.csv": pd.DataFrame(curves).rename_axis("epoch").to_csv,
            "learning_curves.png": lambda path: plot_history(curves, path),
        }  # fmt: skip
        if finder is not None:
            csv = functools.partial(finder.frame.to_csv, index=False)
            files.update({"lr_finder.csv": csv, "lr_finder.png": finder.plot})
        files.update(own_files)
        output = args.output or os.path.join(
            "runs", f"{task.task_id}-{data.name}-{task.backbone_label}"
        )
        write_files(output, files, strategy, args.overwrite, own)
        title = self.spec.title.format(
            dataset=data.name, rows=metrics.get("test_rows"),
            backbone=task.backbone_label, baseline=metrics.get("baseline"),
        )  # fmt: skip
        print(f"\n{title}")
        print(self.table(metrics, ["metric", "model", self.spec.baseline]))
        print(self.wrote(output, files))
        return 0

    def table(self, metrics, headers):
        """The spec's metric rows, model beside baseline, as text."""
        rows = [
            [label, format(metrics[key], fmt), format(metrics[other], fmt)]
            for label, key, other, fmt in self.spec.metric_rows
            if key in metrics
        ]
        return base.format_table(rows, headers)

    def wrote(self, output, files):
        return f"\nwrote {output}/: {', '.join(files)}"

    def load(self, path):
        """``nlptoolkit.load(path)``, refusing another task's model."""
        kind = self.load_class or self.spec.task_class
        return base.load_task(path, kind, self.model_kind)

    def inputs(self, frame):
        """A split's DataFrame as the task's inputs: its columns' lists."""
        return tuple(frame[role].tolist() for role in self.spec.columns)

    def evaluate_model(self, task, inputs, args):
        """Metrics of a loaded model on ``inputs``, printed; returns
        ``(files, note)``: the highest-loss rows where evaluate writes."""
        metrics = task.evaluate(*inputs)
        rows = [[k, f"{metrics[k]:.4f}"] for k in self.evaluate_keys or metrics]
        print(base.format_table(rows, ["metric", "value"]))
        if not self.evaluate_writes:
            return {}, None
        top = task.top_losses(*inputs, k=args.top_k)
        return {"top_losses.csv": top}, f"{len(top)} highest-loss examples"

    def evaluate(self, args):
        """``evaluate``: metrics of a saved model, files beside it."""
        self.check_args(args)
        folder = os.path.dirname(os.path.abspath(args.model))
        directory = args.output or folder if self.evaluate_writes else None
        if directory:
            what = "--output" if args.output else "the model's folder"
            directory = base.check_output(directory, args, what=what)
        task = self.load(args.model)
        inputs = self.split(args, "test" if args.test_file else args.split)
        files, note = self.evaluate_model(task, inputs, args)
        if files:
            write_files(directory, files, overwrite=args.overwrite)
            shown = [os.path.join(args.output or folder, n) for n in files]
            print(f"wrote {' and '.join(shown)} ({note})")
        return 0

    def run(self, args):
        """The predict-like verb (``spec.command``) on a saved model."""
        task = self.load(args.model)
        callbacks = base.clock_callbacks(args)
        self.run_model(task, args, callbacks)
        base.finish_clock(callbacks, args)
        return 0
