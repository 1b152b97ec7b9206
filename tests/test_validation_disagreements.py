"""The three disagreements issue 20 reproduced, each settled by one rule
in ``nlptoolkit.validation`` that the task constructors, the backbones
and ``training.make_optimizer`` all apply."""

import math

import numpy as np
import pytest
from helpers import TOY_LABELS
from helpers import TOY_TEXTS

import nlptoolkit
from nlptoolkit import training
from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import SEED
from nlptoolkit.validation import InvalidParameterError
from nlptoolkit.validation import check

# Really tiny: a width of 8, one layer, a dozen texts, one epoch.
TINY_LSTM = {"vocabulary_size": 32, "num_layers": 1, "sequence_length": 8}


def test_numpy_hidden_dim_is_stored_as_int_and_trains():
    # Was accepted, stored as np.int64, then refused by the backbone.
    clf = nlptoolkit.TextClassifier(
        "lstm", hidden_dim=np.int64(8), seed=np.int64(0), **TINY_LSTM
    )
    assert type(clf.params["hidden_dim"]) is int
    assert clf.params["hidden_dim"] == 8
    assert type(clf.seed) is int and clf.seed == 0
    assert type(clf.get_config()["hidden_dim"]) is int
    clf.fit(TOY_TEXTS[:12], TOY_LABELS[:12], epochs=1, batch_size=12, verbose=0)
    probabilities = clf.predict(["a good film", "an awful plot"])
    assert probabilities.shape == (2, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_numpy_sizes_reach_the_backbone_as_ints():
    backbone = nlptoolkit.backbones.get(
        "transformer",
        vocabulary_size=np.int32(20),
        sequence_length=np.int64(6),
        hidden_dim=np.int64(8),
        intermediate_dim=np.int64(16),
        num_heads=np.int64(2),
        num_layers=np.int64(1),
    )
    assert type(backbone.hidden_dim) is int and backbone.hidden_dim == 8
    assert type(backbone.num_heads) is int


def test_a_seed_keras_refuses_is_refused_by_the_constructor():
    # Was accepted by the task, then refused deep inside Keras.
    with pytest.raises(InvalidParameterError) as error:
        nlptoolkit.TextClassifier("lstm", seed=2**40, **TINY_LSTM)
    with pytest.raises(InvalidParameterError) as rule:
        check("seed", 2**40, SEED, None)
    # The task's message is the seed rule's, prefixed by the task.
    assert str(error.value) == f"TextClassifier: {rule.value}"
    assert "[0, 2**32)" in str(error.value)
    assert "seed=1099511627776" in str(error.value)
    assert nlptoolkit.TextClassifier("lstm", seed=2**32 - 1).seed == 2**32 - 1


@pytest.mark.parametrize("rate", [math.inf, -math.inf, math.nan])
def test_a_non_finite_learning_rate_is_refused_everywhere(rate):
    # Was refused by the constructor but accepted by fit (make_optimizer).
    with pytest.raises(InvalidParameterError) as rule:
        check("learning_rate", rate, POSITIVE_FLOAT)
    with pytest.raises(InvalidParameterError) as built:
        nlptoolkit.TextClassifier("lstm", learning_rate=rate, **TINY_LSTM)
    with pytest.raises(InvalidParameterError) as made:
        training.make_optimizer("adamw", rate, "constant")
    assert str(made.value) == str(rule.value)
    # The constructor allows None (the backbone's default) besides the rule.
    assert str(built.value).startswith(
        "TextClassifier: `learning_rate` must be a finite number > 0 or None."
    )
    for message in (str(made.value), str(built.value)):
        assert f"Received: learning_rate={rate}." in message
