"""The Task base: a backbone plus a tokenizer plus a head, and the verbs.

A :class:`Task` is the object users hold (``TextClassifier``, ...). It keeps
its constructor arguments until ``fit`` sees data; ``fit`` then trains the
tokenizer, builds a :class:`TaskModel` (``nlptoolkit.tasks.model``: a functional
Keras model that carries the tokenizer and the task's settings, so one
``.keras`` file holds everything) and trains it. ``save`` writes that file
atomically and ``nlptoolkit.load`` turns it back into the same Task class.
Seeding and op determinism live in ``nlptoolkit.provenance``; ``TaskModel``,
``set_seed`` and ``op_determinism_enabled`` stay importable from here.
"""

import contextlib
import contextvars
import inspect
import logging
import time

import numpy as np

from nlptoolkit import backbones as backbones_lib
from nlptoolkit import training
from nlptoolkit.atomic import atomic_write
from nlptoolkit.checks import check_path
from nlptoolkit.checks import check_positive_int
from nlptoolkit.checks import check_seed
from nlptoolkit.checks import check_task_params
from nlptoolkit.preprocessing import Tokenizer
from nlptoolkit.preprocessing import check_texts

# Re-exported: imported from here by the tasks, the registry and tests.
from nlptoolkit.provenance import (
    op_determinism_enabled as op_determinism_enabled,
)
from nlptoolkit.provenance import set_seed
from nlptoolkit.tasks.model import TaskModel as TaskModel
from nlptoolkit.tasks.model import _reducible_logs as _reducible_logs
from nlptoolkit.tasks.scale import dtype_policy_scope
from nlptoolkit.tasks.scale import resolve_precision
from nlptoolkit.tasks.scale import write_saved_model
from nlptoolkit.training import policy
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import Constraint
from nlptoolkit.validation import InstanceOf
from nlptoolkit.validation import Interval
from nlptoolkit.validation import check

logger = logging.getLogger(__name__)

# True while ``nlptoolkit.load`` rebuilds a Task from a saved file: a
# pretrained handle is then not resolved (the file holds the weights, so
# the preset folder may be gone).
_RESTORING = contextvars.ContextVar("nlptoolkit_restoring", default=False)


@contextlib.contextmanager
def restoring():
    """Within it, Task constructors skip resolving pretrained handles."""
    token = _RESTORING.set(True)
    try:
        yield
    finally:
        _RESTORING.reset(token)


def restoring_now():
    """Whether a Task is being rebuilt by ``nlptoolkit.load`` (within
    :func:`restoring`): a pretrained handle is then not resolved."""
    return _RESTORING.get()


# Constructor arguments every task accepts (keras-hub spellings).
BACKBONE_ARGUMENTS = (
    "vocabulary_size",
    "sequence_length",
    "hidden_dim",
    "intermediate_dim",
    "num_layers",
    "num_heads",
    "dropout",
)


def atomic_save_model(model, path):
    """Save ``model`` to ``path`` through a temp file and a rename.

    A crash mid-save leaves the previous file (if any) untouched.
    """
    path = check_path("path", path)
    if not path.endswith(".keras"):
        raise ValueError(
            "Models are saved as one `.keras` file. Received: "
            f"path={path!r}. Use a name ending in `.keras`, e.g. "
            "'model.keras'."
        )
    atomic_write(path, model.save, suffix=".keras")


def takes_options_of(*sources, leave_out=("seed",)):
    """A task verb's signature: its own data arguments, then as keyword
    options what its ``**options`` passes on to ``sources`` (the base
    ``Task._fit``; ``Task._find_learning_rate`` and ``lr_range_test``):
    their keyword-only parameters and those with a default, but
    ``leave_out`` (the task sets them). ``help`` and
    ``inspect.signature`` then list every option, declared once where
    it is used.

    Example:
    >>> import inspect
    >>> import nlptoolkit
    >>> fit = inspect.signature(nlptoolkit.TextGenerator.fit)
    >>> list(fit.parameters)[:3], fit.parameters["epochs"].default
    (['self', 'texts', 'validation_data'], None)
    """

    def declare(verb):
        parameters = [
            parameter
            for parameter in inspect.signature(verb).parameters.values()
            if parameter.kind is not parameter.VAR_KEYWORD
        ]
        for source in sources:
            for parameter in inspect.signature(source).parameters.values():
                given = parameter.default is not parameter.empty
                if parameter.name in leave_out or not (
                    given or parameter.kind is parameter.KEYWORD_ONLY
                ):
                    continue
                parameters.append(
                    parameter.replace(kind=parameter.KEYWORD_ONLY)
                )
        verb.__signature__ = inspect.Signature(parameters)
        return verb

    return declare


class Pair(Constraint):
    """A pair: a tuple or list of two (``validation_data=(texts,
    labels)``); ``form`` names its parts.

    Example:
    >>> from nlptoolkit.tasks.task import Pair
    >>> from nlptoolkit.validation import check
    >>> check("validation_data", (["a"],), Pair("(texts, labels)"))
    Traceback (most recent call last):
    ...
    nlptoolkit.validation.InvalidParameterError: `validation_data` must \
be a (texts, labels) pair. Received: validation_data=(['a'],) of type tuple.
    """

    def __init__(self, form):
        self.description = f"a {form} pair"

    def accepts(self, value):
        return isinstance(value, (tuple, list)) and len(value) == 2


class Task:
    """Base class of every task. Subclasses define the data-facing parts.

    Subclasses set ``task_id`` (the registry key), ``defaults`` (the
    constructor's keyword defaults), implement ``_build_from_scratch``
    (and ``_build_pretrained``), ``_loss`` and the hooks of ``_fit``.
    """

    task_id = None
    defaults = {}
    # Per-backbone values that replace ``defaults`` (explicit keyword
    # arguments still win), e.g. ``{"lstm": {"learning_rate": 5e-3}}``.
    backbone_defaults = {}
    # Allowed values of string options, checked at construction.
    param_choices = {}
    # Whether an LSTM backbone reads both ways (None: the `bidirectional`
    # argument decides); a bidirectional LSTM needs an even hidden_dim.
    lstm_bidirectional = None
    # Whether ``backbone`` may be a pretrained model handle or folder, and
    # the constructor arguments that then still apply.
    supports_pretrained = False
    pretrained_arguments = ()
    # ``fit``'s defaults (``nlptoolkit.training.policy``) by backbone
    # kind, ``"default"`` for the others.
    training_policies = {"default": policy.TrainingPolicy()}
    # ``fit(epochs=None)``'s epochs by backbone kind (``"default"`` for
    # the others).
    default_epochs = {"default": 1}
    # The metrics compiled beside the loss.
    compile_metrics = None
    # What the last ``fit`` ran (``policy.describe_run``, and more).
    training_config = None

    def __init__(
        self,
        backbone="lstm",
        *,
        seed=None,
        strategy=None,
        mixed_precision=False,
        **kwargs,
    ):
        unknown = sorted(set(kwargs) - set(self.defaults))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword arguments "
                f"{unknown}. Expected some of: {sorted(self.defaults)}."
            )
        self.backbone_name = backbones_lib.resolve(
            backbone, allow_pretrained=self.supports_pretrained
        )
        self.pretrained = backbones_lib.is_pretrained(self.backbone_name)
        if self.pretrained:
            self._check_pretrained_kwargs(kwargs)
        seed = check_seed("seed", seed, where=type(self).__name__)
        self.seed = seed
        self.strategy = strategy
        resolve_precision(mixed_precision)  # Validates early.
        self.mixed_precision = mixed_precision
        defaults = self.defaults
        if self.pretrained:
            defaults = {
                name: value
                for name, value in defaults.items()
                if name in self.pretrained_arguments
            }
        self.params = {
            **defaults,
            **self.backbone_defaults.get(self.backbone_kind, {}),
            **kwargs,
        }
        self._check_params()
        self._preset_info = None
        if self.pretrained and not restoring_now():
            _ = self.preset_info  # Resolves the handle now: fail early.
        self.model = None
        self.history = None
        set_seed(seed)

    @property
    def backbone_kind(self):
        """``"lstm"``, ``"transformer"`` or ``"pretrained"``."""
        return "pretrained" if self.pretrained else self.backbone_name

    @property
    def backbone_label(self):
        """A short name for the backbone (run folders, tables): the id,
        or the last part of a pretrained handle or folder."""
        if not self.pretrained:
            return self.backbone_name
        name = self.backbone_name.split("://")[-1]
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if len(parts) > 1 and parts[-1] == "model":
            parts = parts[:-1]  # A package's `.../<name>/model` folder.
        return parts[-1] if parts else name

    @property
    def preset_info(self):
        """What the pretrained ``backbone`` handle points at
        (``nlptoolkit.backbones.PresetInfo``), resolved once."""
        if not self.pretrained:
            return None
        if self._preset_info is None:
            self._preset_info = backbones_lib.resolve_preset(self.backbone_name)
        return self._preset_info

    def _check_fits(self, name, value, limit, fix=""):
        """``value`` (of ``name``, a length; None passes) if it fits the
        pretrained model's ``limit`` positions (None: no limit); ``fix``
        ends the error's advice."""
        if limit is None:
            return value
        return check(
            name,
            value,
            Interval(int, 1, limit),
            None,
            where=type(self).__name__,
            hint=f"{self.backbone_label} holds at most {limit} positions. "
            f"Pass {name}<={limit}{fix}.",
        )

    def _check_pretrained_kwargs(self, kwargs):
        """A pretrained model fixes its own sizes: refuse the others."""
        fixed = sorted(set(kwargs) - set(self.pretrained_arguments))
        if fixed:
            raise ValueError(
                f"{type(self).__name__}: a pretrained backbone "
                f"({self.backbone_name!r}) brings its own sizes and "
                f"tokenizer. Received: {fixed}. Remove them, or use "
                "backbone='lstm' / 'transformer' to set them. Arguments "
                f"that apply: {sorted(self.pretrained_arguments)}."
            )

    def _check_params(self):
        """Fail at construction on a bad size or option (not in Keras)."""
        if self.strategy is not None:
            import tensorflow as tf

            check(
                "strategy",
                self.strategy,
                InstanceOf(
                    tf.distribute.Strategy,
                    description="a tf.distribute.Strategy",
                ),
                None,
                hint="Pass e.g. tf.distribute.MirroredStrategy().",
            )
        bidirectional = self.lstm_bidirectional
        if bidirectional is None:
            bidirectional = self.params.get("bidirectional", False)
        self.params = check_task_params(
            type(self).__name__,
            self.params,
            self.defaults,
            self.param_choices,
            backbone=self.backbone_name,
            bidirectional=bidirectional is True,
        )

    # ----------------------------------------------------------- config
    def get_config(self):
        """Constructor arguments, JSON-able (``strategy`` is not kept)."""
        return {
            "backbone": self.backbone_name,
            "seed": self.seed,
            "mixed_precision": self.mixed_precision,
            **self.params,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        state = "trained" if self.model is not None else "untrained"
        return (
            f"{type(self).__name__}(backbone={self.backbone_name!r}, {state})"
        )

    # ------------------------------------------------------------ model
    @property
    def tokenizer(self):
        return self._require_model().tokenizer

    def _require_model(self):
        if self.model is None:
            raise ValueError(
                f"This {type(self).__name__} has not been trained yet. Call "
                "`fit(...)` first, or load one with `nlptoolkit.load(path)`."
            )
        return self.model

    @contextlib.contextmanager
    def _scope(self):
        """Where the model is built and compiled: under ``strategy`` (its
        variables are mirrored; Keras records the strategy on the model,
        so ``fit`` creates the optimizer's variables and runs each step
        under it too) and, with ``mixed_precision``, under the mixed
        dtype policy, restored afterwards."""
        strategy_scope = (
            contextlib.nullcontext()
            if self.strategy is None
            else self.strategy.scope()
        )
        policy = resolve_precision(self.mixed_precision)
        with strategy_scope, dtype_policy_scope(policy):
            yield

    def _task_config(self):
        """What ``nlptoolkit.load`` needs to rebuild this Task."""
        return {
            "task": self.task_id,
            "init": self.get_config(),
            "dtype_policy": resolve_precision(self.mixed_precision),
        }

    def _restore(self, model):
        """Attach a loaded ``TaskModel`` (subclasses read their state)."""
        self.model = model
        self._weights_changed()

    @property
    def count_params(self):
        return self._require_model().count_params()

    # ----------------------------------------------------------- verbs
    def save(self, path):
        """Save the whole task (weights, vocabulary, labels, settings) to
        one ``.keras`` file, atomically."""
        atomic_save_model(self._require_model(), path)
        logger.info("Saved %s to %s", type(self).__name__, path)

    def export(self, path, max_length=None):
        """Write a TensorFlow SavedModel that serves raw strings.

        Its ``serving_default`` signature takes one ``tf.string`` batch
        (shape ``[None]``) and runs everything inside the graph:
        tokenization, the model and, for generators and summarizers, the
        fused greedy decode loop and detokenization. Load it with
        ``tf.saved_model.load`` or TF Serving; nlptoolkit is not needed
        (a ``wordpiece`` tokenizer needs ``import tensorflow_text``).
        Each task's docstring lists its input and output names.

        Args:
            path: the SavedModel directory (for TF Serving, a numbered
                version folder such as ``"models/clf/1"``). It is written
                next to ``path`` and renamed into place; an earlier
                export there is replaced, and a directory holding anything
                else is refused (nothing of the user's is deleted).
            max_length: new tokens to generate, fixed at export
                (generators and summarizers only).

        Returns the absolute path.

        Example:
        >>> import tempfile, os
        >>> import tensorflow as tf
        >>> import nlptoolkit
        >>> clf = nlptoolkit.TextClassifier(
        ...     "lstm", hidden_dim=8, vocabulary_size=64, seed=1)
        >>> _ = clf.fit(["good", "bad"] * 8, ["pos", "neg"] * 8,
        ...             epochs=1, verbose=0)
        >>> path = clf.export(os.path.join(tempfile.mkdtemp(), "1"))
        >>> serve = tf.saved_model.load(path).signatures["serving_default"]
        >>> out = serve(texts=tf.constant(["good"]))
        >>> sorted(out), out["probabilities"].shape
        (['labels', 'probabilities'], TensorShape([1, 2]))
        """
        model = self._require_model()
        input_name, serve = self._serving_function(max_length)
        return write_saved_model(model, serve, input_name, path)

    def _serving_function(self, max_length):
        """``(input_name, serve)``: the graph function ``export`` traces."""
        raise NotImplementedError(
            f"{type(self).__name__} does not support `export` yet."
        )

    # -------------------------------------------------------- training
    def _learning_rate(self):
        """``fit``'s default learning rate: the constructor's."""
        return self.params["learning_rate"]

    def _fit_plan(self, **options):
        """``fit``'s training options over the task's policy."""
        return policy.plan(
            self.training_policies,
            self.backbone_kind,
            self._learning_rate(),
            **options,
        )

    def _build_model(self, texts):
        """The task's model, compiled as its policy says: the pretrained
        one (``_build_pretrained``), or one on a tokenizer trained from
        ``texts`` (``_build_from_scratch``)."""
        if self.pretrained:
            model = self._build_pretrained(texts)
        else:
            tokenizer = Tokenizer(
                level=self.params["tokenizer"],
                vocabulary_size=self._vocabulary_size(),
            )
            tokenizer.train(texts, **self._tokenizer_training())
            model = self._build_from_scratch(texts, tokenizer)
        self._compile(model)
        return model

    def _vocabulary_size(self):
        return self.params["vocabulary_size"]

    def _tokenizer_training(self):
        """``Tokenizer.train``'s options."""
        return {}

    def _loss(self, model):
        """The loss ``model`` is compiled with."""
        raise NotImplementedError

    def _compile(self, model, fit_plan=None, steps=1):
        """Compile ``model`` as ``fit_plan`` says (default: the task's
        policy) with the task's loss and ``compile_metrics``, recorded in
        its ``task_config["training"]`` (saved with the model)."""
        (fit_plan or self._fit_plan()).compile(
            model,
            loss=self._loss(model),
            metrics=self.compile_metrics,
            steps=steps,
        )

    # Hooks of ``_fit`` and ``_find_learning_rate``. ``data`` is the
    # training data as the task's verb checked it: a tuple of columns,
    # ``(texts, labels)``, ``(texts,)``, ``(documents, summaries)``.
    def _fit_begin(self, data):
        """Before any rows are held out (a classifier learns its labels)."""

    def _check_validation(self, validation_data):
        """``fit``'s ``validation_data``, checked, as columns."""
        raise NotImplementedError

    def _stratify(self, data):
        """What held-out rows keep the shares of (None: nothing)."""
        return None

    def _hold_out(self, data, fraction):
        """``(kept, held)``: ``fraction`` of the rows (at random, seeded)
        held out for early stopping."""
        seed = self.seed or 0
        stratify = self._stratify(data)
        kept_at, held_at = training.carve_validation(
            len(data[0]), fraction, stratify=stratify, seed=seed
        )
        logger.info(
            "No validation_data: held out %.0f%% of the training rows (%d "
            "of %d%s, seed %d) for early stopping.",
            100 * fraction,
            len(held_at),
            len(data[0]),
            "" if stratify is None else ", stratified",
            seed,
        )

        def rows(at):
            return tuple([column[i] for i in at] for column in data)

        return rows(kept_at), rows(held_at)

    def _held_out_record(self, held, fraction):
        """``training_config``'s entries on the rows ``_hold_out`` held."""
        carved = 0 if held is None else len(held[0])
        return {
            "validation_carved_rows": carved,
            "validation_split": fraction if carved else None,
        }

    def _vocabulary_texts(self, data):
        """The texts the first ``fit`` builds the model (its tokenizer)
        from."""
        return data[0]

    def _arrays(self, *data):
        """``(x, y)`` model arrays of the columns."""
        raise NotImplementedError

    def _training_arrays(self, data):
        """``(x, y)`` of the training data; the first call builds the
        model from it."""
        if self.model is None:
            with self._scope():
                self.model = self._build_model(self._vocabulary_texts(data))
        return self._arrays(*data)

    def _validation_arrays(self, validation):
        return self._arrays(*validation)

    def _class_weight(self, class_weight, label_ids):
        """``model.fit``'s ``class_weight``: classifiers only."""
        if class_weight is not None:
            raise ValueError(
                f"`class_weight` weighs classes; a {type(self).__name__} has "
                f"none. Received: class_weight={class_weight!r}. Remove it."
            )

    def _fit_inputs(self, x, y, validation, batch_size):
        """``(x, y, validation, context)``: what ``model.fit`` runs on,
        under ``context`` (``y`` None: ``x`` is a tf.data dataset of
        ready batches)."""
        return x, y, validation, contextlib.nullcontext()

    def _run_record(self, class_weight):
        """The task's own ``training_config`` entries."""
        return {}

    def _weights_changed(self):
        """The weights change (``fit``) or were replaced (``load``): drop
        what was built from the old ones."""

    def _fit_arrays(self, data, validation_data, split):
        """``(x, y, validation, held)``: the training arrays (the first
        call builds the model), and the validation arrays of
        ``validation_data``, else of the rows held out when ``split`` is
        a share (``held``, the held-out columns, else None)."""
        self._fit_begin(data)
        validation, held = None, None
        if validation_data is not None:
            validation = self._check_validation(validation_data)
        elif split:
            data, held = self._hold_out(data, split)
            validation = held
        x, y = self._training_arrays(data)
        if validation is not None:
            validation = self._validation_arrays(validation)
        return x, y, validation, held

    def _fit(
        self,
        data,
        *,
        validation_data=None,
        epochs=None,
        batch_size=32,
        callbacks=None,
        verbose="auto",
        early_stopping=None,
        max_seconds=None,
        optimizer=None,
        learning_rate=None,
        schedule=None,
        validation_split=training.DEFAULT_VALIDATION_SPLIT,
        class_weight=None,
        tensorboard_dir=None,
        checkpoint_dir=None,
    ):
        """The ``fit`` of every task, once its verb has checked ``data``
        (its signature lists these options: :func:`takes_options_of`;
        their meaning: ``nlptoolkit.training.policy``). Checks
        ``epochs`` (None: the task's ``default_epochs``) and
        ``batch_size``, resolves the training
        options over ``training_policies`` (``policy.plan``), holds out
        ``validation_split`` of the rows for early stopping when there is
        no ``validation_data``, builds the model on the first call,
        recompiles it when the options changed, and trains: the callbacks
        of the run (``policy.fit_callbacks``: the caller's, the
        ``max_seconds`` limit, early stopping on the best validation
        epoch, ``tensorboard_dir``, the ``checkpoint_dir`` backups that
        resume a crashed run: ``nlptoolkit.tasks.resume``), a warm-up +
        cosine schedule re-armed for this call's steps
        (``nlptoolkit.training.rearm``), ``model.fit`` timed
        (``train_seconds``). ``training_config`` describes the run.
        Returns the Keras ``History``.
        """
        from nlptoolkit.tasks.resume import backup_callback

        if epochs is None:
            epochs = self.default_epochs.get(
                self.backbone_kind, self.default_epochs["default"]
            )
        epochs = check("epochs", epochs, POSITIVE_INT)
        batch_size = check("batch_size", batch_size, POSITIVE_INT)
        fit_plan = self._fit_plan(
            optimizer=optimizer,
            learning_rate=learning_rate,
            schedule=schedule,
            early_stopping=early_stopping,
        )
        set_seed(self.seed)
        x, y, validation, held = self._fit_arrays(
            data, validation_data, fit_plan.early_stopping and validation_split
        )
        rows = len(y)
        steps = training.total_steps(rows, batch_size, epochs)
        if fit_plan.needs_compile(self.model, self._fit_plan()):
            with self._scope():
                self._compile(self.model, fit_plan, steps)
        class_weight = self._class_weight(class_weight, y)
        record = {
            "validation_rows": 0 if validation is None else len(validation[1]),
            **self._held_out_record(held, validation_split),
            **self._run_record(class_weight),
        }
        x, y, validation, context = self._fit_inputs(
            x, y, validation, batch_size
        )
        stops = fit_plan.early_stopping and validation is not None
        callbacks, self.early_stopping = policy.fit_callbacks(
            self.model,
            callbacks,
            max_seconds,
            monitor=fit_plan.monitor if stops else None,
            patience=fit_plan.patience,
            tensorboard_dir=tensorboard_dir,
            checkpoint_dir=checkpoint_dir,
            backup=backup_callback,
        )
        self._weights_changed()
        training.rearm(self.model, steps)
        batched = y is None
        start = time.perf_counter()
        with context:
            self.history = self.model.fit(
                x,
                y,
                validation_data=validation,
                epochs=epochs,
                batch_size=None if batched else batch_size,
                callbacks=callbacks,
                verbose=verbose,
                shuffle=not batched,
                class_weight=class_weight,
            )
        self.train_seconds = time.perf_counter() - start
        self.training_config = {
            **policy.describe_run(
                self.model,
                fit_plan,
                self.history,
                self.early_stopping,
                epochs,
                batch_size,
                rows,
            ),
            **record,
        }
        return self.history

    def _find_learning_rate(self, data, *, optimizer=None, **settings):
        """The ``find_learning_rate`` of every task, once its verb has
        checked ``data``: the range test (``policy.find_learning_rate``;
        ``settings`` are ``lr_range_test``'s) on the training arrays,
        with a fresh ``optimizer`` (None: of the kind ``fit`` uses by
        default), seeded by the task's ``seed``; builds the model first
        when ``fit`` has not."""
        set_seed(self.seed)
        self._fit_begin(data)
        x, y = self._training_arrays(data)
        return policy.find_learning_rate(
            self.model,
            x,
            y,
            self._fit_plan(optimizer=optimizer).optimizer,
            scope=self._scope(),
            seed=self.seed or 0,
            **settings,
        )

    def encode(self, texts, sequence_length=None):
        """Raw strings -> numpy token ids ``(batch, sequence_length)``."""
        texts = check_texts(texts)
        check_positive_int("sequence_length", sequence_length, allow_none=True)
        tokenizer = self.tokenizer
        length = sequence_length or self.model.task_config.get(
            "sequence_length"
        )
        chunks = [
            tokenizer.tokenize(texts[i : i + 4096], length).numpy()
            for i in range(0, len(texts), 4096)
        ]
        return np.concatenate(chunks, axis=0)
