"""One generic ``train`` / ``evaluate`` / predict-like command set, built
from a task's :class:`~nlptoolkit.tasks.registry.TaskSpec`.

:class:`TaskCommands` holds what every task's command line does (parse,
refuse a bad output folder first, load the data, train, evaluate, beat the
baseline, write ``model.keras``, ``metrics.json``, ``history.csv`` and
plots atomically, print the model-vs-baseline table); a subclass per task
family (``nlptoolkit.cli.hooks``) fills in its own small hooks: its model
options, its data columns, its baseline and its extra files.
"""

import os
import time

import pandas as pd

from nlptoolkit.cli import base
from nlptoolkit.cli import recipes
from nlptoolkit.cli.base import UserError


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
        "--no-early-stopping",
        dest="early_stopping",
        action="store_const",
        const=False,
        default=None,
        help="train all epochs (default: the task's; classifiers stop "
        "after an epoch that improves neither validation accuracy nor "
        "loss, and keep the best epoch)",
    )
    base.add_flags(group, [
        ("find-lr", bool, False, "run a learning-rate range test first, "
         "print its suggestion, save lr_finder.png/.csv, and train with it"),
        ("tensorboard", None, None,
         "write TensorBoard logs (scalars, graph) to DIR", "DIR"),
    ])  # fmt: skip


class Data:
    """What ``train`` reads: ``train`` and ``test`` (the task's fit and
    score inputs, as tuples), ``validation`` (``fit``'s
    ``validation_data``), the ``name`` recorded as ``dataset``, ``run``
    (the default output folder's dataset part) and ``texts`` (hashed
    into the manifest)."""

    def __init__(self, train, validation, test, name, run, texts):
        self.train, self.validation, self.test = train, validation, test
        self.name, self.run, self.texts = name, run, texts


class TaskCommands:
    """The command line of one task (``spec``); subclasses override the
    hooks (methods raising ``NotImplementedError`` here, and the class
    attributes)."""

    evaluate_writes = False  # evaluate has --output, --overwrite, --top-k
    evaluate_needs_dataset = False  # evaluate has no default --dataset
    file_subset = "head"  # --max-examples on a file: "head" | "sample"
    model_options = {}  # {train flag dest: help} passed to the task
    model_kind = None  # "classifiers": what evaluate and run accept
    load_class = None  # the class they accept (default: the spec's)

    def __init__(self, spec):
        self.spec = spec

    # -- parsers ----------------------------------------------------------
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
        train.set_defaults(backbone=spec.default_backbone)
        self.add_columns(train)
        for dest, help_text in self.model_options.items():
            kind = None if dest == "tokenizer" else base.positive_int
            flag = "--" + dest.replace("_", "-")
            train.add_argument(flag, type=kind, default=None, help=help_text)
        add_training_arguments(train)
        self.add_train_arguments(train)
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
        self.add_evaluate_arguments(evaluate)
        if self.evaluate_writes:
            base.add_flags(evaluate, [
                ("output", None, None, "directory for its files (default: "
                 "the model's directory)"),
                base.OVERWRITE,
                ("top-k", base.positive_int, 20,
                 "rows in the top-losses CSV, worst first (default 20)"),
            ])  # fmt: skip

        run = sub.add_parser(spec.command, help=spec.help[spec.command])
        run.add_argument("--model", required=True, help="model.keras path")
        self.add_run_arguments(run)
        base.add_clock_argument(run)
        return parser

    def add_columns(self, parser):
        for role, column in self.spec.columns.items():
            parser.add_argument(f"--{role}-column", default=column)

    def add_train_arguments(self, parser):
        """The task's own ``train`` options (besides ``model_options``)."""

    def add_evaluate_arguments(self, parser):
        """The task's own ``evaluate`` options."""

    def add_run_arguments(self, parser):
        raise NotImplementedError

    def main(self):
        """The task CLI's ``main(argv)`` (see :func:`make_main`)."""
        commands = {
            "train": self.train,
            "evaluate": self.evaluate,
            self.spec.command: self.run,
        }
        return make_main(self.build_parser, commands)

    # -- data -------------------------------------------------------------
    def read_split(self, args, split, columns=None):
        """One split as a DataFrame of the task's columns: ``--train-file``
        (``split="train"``) or ``--test-file`` (the others) when given,
        else the named dataset's split."""
        from nlptoolkit import datasets

        path = args.train_file if split == "train" else args.test_file
        if not path:
            return datasets.load(
                args.dataset, split, max_examples=args.max_examples
            )
        roles = columns or self.spec.columns
        names = {role: getattr(args, f"{role}_column") for role in roles}
        frame = self.read_file(path, names)
        if args.max_examples and self.file_subset == "sample":
            frame = frame.sample(
                n=min(args.max_examples, len(frame)), random_state=0
            ).reset_index(drop=True)
        elif args.max_examples and self.file_subset == "head":
            frame = frame.head(args.max_examples)
        return frame

    def read_file(self, path, columns):
        from nlptoolkit import datasets

        return datasets.read_file(path, columns=columns)

    def load_data(self, args):
        """The :class:`Data` ``train`` uses."""
        raise NotImplementedError

    # -- train ------------------------------------------------------------
    def check_train_args(self, args):
        """Refuse bad options before any data is read."""
        if getattr(args, "find_lr", False) and args.learning_rate is not None:
            raise UserError(
                "--find-lr chooses the learning rate; drop --learning-rate "
                f"{args.learning_rate} (or --find-lr)."
            )

    def model_kwargs(self, args):
        """The task constructor's options given on the command line (the
        task's defaults apply to the others)."""
        return {
            name: getattr(args, name)
            for name in self.model_options
            if getattr(args, name, None) is not None
        }

    def fit_options(self, args):
        """``fit``'s task-specific keyword arguments."""
        return {
            "optimizer": args.optimizer,
            "learning_rate": args.learning_rate,
            "schedule": args.schedule,
            "early_stopping": args.early_stopping,
            "tensorboard_dir": args.tensorboard,
        }

    def epochs(self, task, args):
        return args.epochs or self.spec.default_epochs

    def find_learning_rate(self, task, data, args):
        """``--find-lr``: the LR finder's result (printed), else None."""
        if not getattr(args, "find_lr", False):
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

    def score(self, task, data, args):
        """Test metrics of the model and its baseline (``baseline_*``),
        and the extra state :meth:`write_extras` needs."""
        raise NotImplementedError

    def record(self, task, data, args, state):
        """The task's own ``metrics.json`` entries."""
        return {}

    def write_extras(self, tmp, task, metrics, state):
        """The task's own files of a ``train`` run, into ``tmp``."""

    def train(self, args):
        """``train``: fit, score against the baseline, save, print."""
        from nlptoolkit.metrics import plot_history

        # First: a multi-worker strategy must set up TF before anything.
        strategy = base.make_strategy(args.strategy)
        own = base.own_folders(args)
        if args.output:  # refused now, not after training
            base.check_output(args.output, args, own=own)
        self.check_train_args(args)
        args.dataset = args.dataset or self.spec.default_dataset
        data = self.load_data(args)
        task = self.spec.task_class(
            args.backbone,
            seed=args.seed,
            strategy=strategy,
            **self.model_kwargs(args),
        )
        recipes.log_default_notice(args, data.name)
        start = time.perf_counter()
        finder = self.find_learning_rate(task, data, args)
        options = self.fit_options(args)
        if finder is not None:
            options["learning_rate"] = finder.suggestion
        history = task.fit(
            *data.train,
            validation_data=data.validation,
            epochs=self.epochs(task, args),
            batch_size=args.batch_size,
            verbose=base.keras_verbose(),
            checkpoint_dir=args.checkpoint_dir,
            **options,
        )
        seconds = time.perf_counter() - start
        metrics, state = self.score(task, data, args)
        metrics.setdefault("train_seconds", seconds)
        metrics.update(
            {
                "epochs_run": len(history.epoch),
                "dataset": data.name,
                "backbone": task.backbone_name,
                "pretrained": task.model.task_config.get("pretrained"),
                "seed": args.seed,
                "parameters": task.count_params,
                "training": task.training_config,
                "recipe": recipes.recipe_record(args),
                **self.record(task, data, args, state),
                "manifest": base.manifest(
                    args.seed, data.name, data.texts, task.tokenizer
                ),
            }
        )
        metrics["lr_finder"] = finder and finder.to_dict()
        output = args.output or os.path.join(
            "runs", f"{task.task_id}-{data.run}-{task.backbone_label}"
        )
        with base.atomic_output_dir(
            output, strategy, args.overwrite, own=own
        ) as tmp:
            task.save(os.path.join(tmp, "model.keras"))
            base.write_json(os.path.join(tmp, "metrics.json"), metrics)
            pd.DataFrame(history.history).rename_axis("epoch").to_csv(
                os.path.join(tmp, "history.csv")
            )
            plot_history(
                history.history, os.path.join(tmp, "learning_curves.png")
            )
            if finder is not None:
                finder.frame.to_csv(
                    os.path.join(tmp, "lr_finder.csv"), index=False
                )
                finder.plot(os.path.join(tmp, "lr_finder.png"))
            self.write_extras(tmp, task, metrics, state)
        spec = self.spec
        title = spec.title.format(
            dataset=data.name,
            rows=metrics.get("test_rows"),
            backbone=task.backbone_label,
            baseline=metrics.get("baseline"),
        )
        print(f"\n{title}")
        print(self.table(metrics, ["metric", "model", spec.baseline]))
        print(self.wrote(output, state))
        return 0

    def table(self, metrics, headers):
        """The spec's metric rows, model beside baseline, as text."""
        rows = [
            [label, format(metrics[key], fmt), format(metrics[other], fmt)]
            for label, key, other, fmt in self.spec.metric_rows
            if key in metrics
        ]
        return base.format_table(rows, headers)

    def wrote(self, output, state):
        return f"\nwrote {output}/"

    # -- evaluate and the predict-like verb -------------------------------
    def load(self, path):
        """``nlptoolkit.load(path)``, refusing another task's model."""
        kind = self.load_class or self.spec.task_class
        return base.load_task(path, kind, self.model_kind)

    def evaluate_model(self, task, args):
        """Metrics of a loaded model, printed; returns ``(files, note)``:
        ``{file name: DataFrame or dict}`` to write and a note."""
        raise NotImplementedError

    def check_evaluate_args(self, args):
        """Refuse bad ``evaluate`` options before loading the model."""

    def evaluate(self, args):
        """``evaluate``: metrics of a saved model, files beside it."""
        self.check_evaluate_args(args)
        folder = os.path.dirname(os.path.abspath(args.model))
        directory = args.output or folder if self.evaluate_writes else None
        if directory:
            what = "--output" if args.output else "the model's folder"
            directory = base.check_output(directory, args, what=what)
        files, note = self.evaluate_model(self.load(args.model), args)
        if not files:
            return 0
        with base.atomic_output_dir(directory, overwrite=args.overwrite) as tmp:
            for name, content in files.items():
                path = os.path.join(tmp, name)
                if isinstance(content, pd.DataFrame):
                    base.write_csv(content.rename_axis("row"), path)
                else:
                    base.write_json(path, content)
        shown = [os.path.join(args.output or folder, name) for name in files]
        print(f"wrote {' and '.join(shown)} ({note})")
        return 0

    def run(self, args):
        """The predict-like verb (``spec.command``) on a saved model."""
        task = self.load(args.model)
        callbacks = base.clock_callbacks(args)
        self.run_model(task, args, callbacks)
        base.finish_clock(callbacks, args)
        return 0

    def run_model(self, task, args, callbacks):
        raise NotImplementedError
