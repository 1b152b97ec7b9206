"""One training policy for every task (nlptoolkit.training.policy)."""

import math

import keras
import numpy as np
import pytest
from helpers import TINY
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit import training
from nlptoolkit.training import policy
from nlptoolkit.validation import InvalidParameterError

CORPUS = "to be or not to be that is the question\n" * 12
DOCS = [
    "alice met bob at the cafe and they talked",
    "carol saw dan in the park with a dog",
    "erin called frank about the late train",
] * 4
SUMS = ["alice met bob", "carol saw dan", "erin called frank"] * 4


def _classifier(cls=nlptoolkit.TextClassifier):
    return cls("lstm", seed=0, bidirectional=False, **TINY)


def _generator():
    return nlptoolkit.TextGenerator(
        "lstm", hidden_dim=8, sequence_length=8, seed=0
    )


def _summarizer():
    return nlptoolkit.Summarizer(
        "lstm", hidden_dim=8, sequence_length=8, summary_length=6, seed=0
    )


TASKS = {
    "classification": (_classifier, (TOY_TEXTS[:12], TOY_LABELS[:12])),
    "sentiment": (
        lambda: _classifier(nlptoolkit.SentimentClassifier),
        (TOY_TEXTS[:12], [1, 1, 1, 0, 0, 0] * 2),
    ),
    "generation": (_generator, (CORPUS,)),
    "summarization": (_summarizer, (DOCS, SUMS)),
}


class _SeesBackup(keras.callbacks.Callback):
    """Records whether the checkpoint folder's run file exists at each
    epoch end (the backup callback writes it before training)."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append((self.folder / "nlptoolkit_run.json").exists())


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_fit_takes_every_policy_option(name, tmp_path):
    make, data = TASKS[name]
    task = make()
    spy = _SeesBackup(tmp_path / "ckpt")
    history = task.fit(
        *data,
        epochs=1,
        batch_size=4,
        verbose=0,
        callbacks=[spy],
        optimizer="sgd",
        learning_rate=0.02,
        schedule="cosine",
        early_stopping=2,
        tensorboard_dir=tmp_path / "tb",
        checkpoint_dir=tmp_path / "ckpt",
    )
    optimizer = task.model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    schedule = training.schedule_of(optimizer)
    assert isinstance(schedule, training.WarmupCosineDecay)
    assert schedule.peak_learning_rate == pytest.approx(0.02)
    config = task.training_config
    assert (config["optimizer"], config["schedule"]) == ("SGD", "cosine")
    # Early stopping ran on validation data held out of the training rows.
    assert config["early_stopping"] is True
    assert config["early_stopping_patience"] == 2
    assert "val_loss" in history.history
    assert config["validation_rows"] > 0
    assert config["best_epoch"] == 0
    assert list((tmp_path / "tb" / "train").glob("events.out.tfevents.*"))
    # The backup was armed during training and deleted after it finished.
    assert spy.seen == [True]
    assert not (tmp_path / "ckpt").exists()
    assert task.model.task_config["training"] == {
        "optimizer": "sgd",
        "learning_rate": 0.02,
        "schedule": "cosine",
    }


@pytest.mark.parametrize(
    "make, data, optimizer, schedule",
    [
        (_classifier, (TOY_TEXTS[:12], TOY_LABELS[:12]), "AdamW", "cosine"),
        # From scratch the generator and the summarizer keep the settings
        # their recorded benchmark runs used: Adam, constant, clipnorm 1.
        (_generator, (CORPUS,), "Adam", "constant"),
        (_summarizer, (DOCS, SUMS), "Adam", "constant"),
    ],
)
def test_each_task_default_policy(make, data, optimizer, schedule):
    task = make()
    history = task.fit(*data, epochs=1, batch_size=4, verbose=0)
    config = task.training_config
    assert (config["optimizer"], config["schedule"]) == (optimizer, schedule)
    assert config["clipnorm"] == 1.0
    assert config["learning_rate"] == pytest.approx(
        task._fit_plan().learning_rate
    )
    stops = optimizer == "AdamW"  # Only the classifiers stop early.
    assert config["early_stopping"] is stops
    assert ("val_loss" in history.history) is stops


def test_generator_default_optimizer_is_todays_adam():
    gen = _generator()
    gen.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    optimizer = gen.model.optimizer
    assert type(optimizer) is keras.optimizers.Adam
    assert optimizer.clipnorm == 1.0
    # The LSTM's constructor default: 5e-3 (float32 in the optimizer).
    assert float(optimizer.learning_rate) == pytest.approx(5e-3)
    assert training.schedule_of(optimizer) is None


class _WeightsPerEpoch(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_generator_early_stopping_restores_the_best_epoch():
    gen = _generator()
    spy = _WeightsPerEpoch()
    history = gen.fit(
        CORPUS,
        validation_data="that is the question to be or not\n" * 3,
        epochs=3,
        batch_size=4,
        verbose=0,
        callbacks=[spy],
        learning_rate=0.3,  # High, so the validation loss moves about.
        early_stopping=3,  # Patient: all three epochs run.
    )
    losses = history.history["val_loss"]
    assert len(losses) == 3
    best = int(np.argmin(losses))
    assert best < 2  # (seeded) so the last epoch's weights were replaced
    assert gen.training_config["best_epoch"] == best
    for kept, final in zip(
        spy.weights[best], gen.model.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(kept, final)


def test_generator_holds_out_the_corpus_tail_for_early_stopping():
    gen = _generator()
    history = gen.fit(
        CORPUS, epochs=1, batch_size=8, verbose=0, early_stopping=True
    )
    assert "val_loss" in history.history
    assert gen.training_config["validation_held_out_texts"] == 1
    assert gen.training_config["validation_rows"] >= 1


@pytest.mark.parametrize(
    "make, data",
    [(_generator, (CORPUS,)), (_summarizer, (DOCS, SUMS))],
)
def test_find_learning_rate_on_generator_and_summarizer(make, data):
    task = make()
    result = task.find_learning_rate(*data, batch_size=4, num_steps=20)
    assert list(result.frame.columns) == ["lr", "loss", "smoothed_loss"]
    assert 1e-6 <= result.suggestion <= 1.0
    assert result.to_dict()["steps"] == len(result.frame)
    # The model was built (not trained): a fit starts from the same state.
    assert task.model is not None
    assert int(task.model.optimizer.iterations) == 0


def test_generator_top_losses_are_each_windows_loss_worst_first():
    gen = _generator()
    gen.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    texts = ["to be or not to be", "zq xj vw"]
    frame = gen.top_losses(texts, k=None)
    assert list(frame.columns) == ["text", "window", "loss", "tokens"]
    assert frame["loss"].is_monotonic_decreasing
    assert set(frame["text"]) == {0, 1}
    x, y, _ = gen._text_windows(texts)
    assert len(frame) == len(y)
    # Each row's loss is what the compiled loss gives its window alone.
    for row, loss in frame["loss"].items():
        alone = gen.model.evaluate(
            x[row : row + 1], y[row : row + 1], verbose=0
        )
        assert loss == pytest.approx(float(alone), rel=1e-4)
    assert len(gen.top_losses(texts, k=2)) == 2
    with pytest.raises(ValueError, match="`k`"):
        gen.top_losses(texts, k=0)


@pytest.mark.parametrize(
    "options, name",
    [
        ({"optimizer": "adagrad"}, "optimizer"),
        ({"schedule": "linear"}, "schedule"),
        ({"learning_rate": math.inf}, "learning_rate"),
        ({"early_stopping": 0}, "early_stopping"),
    ],
)
def test_policy_options_refused_before_anything_is_built(options, name):
    for make, data in (TASKS["generation"], TASKS["summarization"]):
        task = make()
        with pytest.raises(InvalidParameterError, match=f"`{name}`"):
            task.fit(*data, epochs=1, verbose=0, **options)
        assert task.model is None


def test_make_optimizer_refuses_infinite_learning_rate():
    with pytest.raises(InvalidParameterError, match="learning_rate=inf"):
        training.make_optimizer("adam", math.inf, "constant")


class _Task:
    def __init__(self, recorded):
        self.task_config = {} if recorded is None else {"training": recorded}


def test_a_model_without_recorded_settings_keeps_its_optimizer():
    default = policy.TrainingPolicy(optimizer="adam", schedule="constant")
    plan = default.resolve(default_learning_rate=1e-3)
    model = _Task(None)  # compiled before settings were recorded
    assert not plan.needs_compile(model, plan)
    assert model.task_config["training"] == plan.record()
    other = default.resolve(schedule="cosine", default_learning_rate=1e-3)
    assert other.needs_compile(_Task(None), plan)
    assert other.needs_compile(model, plan)


def _cosine_model(steps):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(training.make_optimizer("adam", 1e-3, steps=steps), "mse")
    return model


def _budget(seconds, probe, steps):
    """A CosineTimeBudget on a tiny cosine model, on a clock the test
    sets (``clock["now"]``)."""
    clock = {"now": 0.0}
    budget = policy.CosineTimeBudget(
        seconds, probe=probe, clock=lambda: clock["now"]
    )
    budget.set_model(_cosine_model(steps))
    budget.on_train_begin()  # at 0 s
    return budget, clock


def _steps(budget, clock, batches):
    for batch in batches:  # batch b ends at b + 1 seconds
        clock["now"] = float(batch + 1)
        budget.on_train_batch_end(batch)


def test_cosine_is_fitted_to_the_time_budget():
    budget, clock = _budget(30, probe=4, steps=1000)
    schedule = training.schedule_of(budget.model.optimizer)
    # Step 1 (compiling) is not timed; after steps 2-5, 1 s a step and
    # 25 s left: 5 + 25 = 30 steps in all, not 1000.
    _steps(budget, clock, range(5))
    assert schedule.total_steps == 30
    _steps(budget, clock, range(5, 10))
    clock["now"] = 11.0
    budget.on_epoch_end(0)  # 10 s over 9 timed steps, 19 s left
    assert schedule.total_steps == 10 + int(19 / (10 / 9))


def test_time_budget_never_lengthens_the_cycle():
    budget, clock = _budget(1e6, probe=2, steps=40)
    _steps(budget, clock, range(3))
    assert training.schedule_of(budget.model.optimizer).total_steps == 40


def test_fit_callbacks_order_and_time_budget_only_with_max_seconds():
    found, stop = policy.fit_callbacks(None, monitor=None)
    assert found == [] and stop is None
    found, stop = policy.fit_callbacks(
        None, max_seconds=5, monitor=("val_loss",), patience=3
    )
    names = [type(c).__name__ for c in found]
    assert names == ["TimeLimit", "CosineTimeBudget", "EarlyStopping"]
    assert stop.patience == 3
    with pytest.raises(ValueError, match="backup"):
        policy.fit_callbacks(None, checkpoint_dir="x")
