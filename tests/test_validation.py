"""The one home for argument checks: constraints, normalisation, messages,
and argparse types made from the same constraints."""

import argparse
import pathlib

import numpy as np
import pytest

from nlptoolkit.validation import BOOL
from nlptoolkit.validation import FRACTION
from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import SEED
from nlptoolkit.validation import Interval
from nlptoolkit.validation import InvalidParameterError
from nlptoolkit.validation import Options
from nlptoolkit.validation import PathLike
from nlptoolkit.validation import argparse_type
from nlptoolkit.validation import check
from nlptoolkit.validation import validate


def test_numpy_numbers_are_normalised_to_python_numbers():
    value = check("hidden_dim", np.int64(8), POSITIVE_INT)
    assert value == 8 and type(value) is int
    rate = check("learning_rate", np.float32(0.5), POSITIVE_FLOAT)
    assert rate == 0.5 and type(rate) is float
    assert type(check("dropout", 0, FRACTION)) is float


@pytest.mark.parametrize("value", [True, 0, -1, 1.0, "8", None, float("nan")])
def test_positive_int_refuses_what_is_not_a_positive_integer(value):
    with pytest.raises(InvalidParameterError, match="hidden_dim"):
        check("hidden_dim", value, POSITIVE_INT)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 0.0, -1e-3])
def test_positive_float_refuses_infinite_and_non_positive(value):
    with pytest.raises(InvalidParameterError, match="finite number > 0"):
        check("learning_rate", value, POSITIVE_FLOAT)


def test_the_error_is_both_a_value_error_and_a_type_error():
    for kind in (ValueError, TypeError):
        with pytest.raises(kind):
            check("seed", 2**40, SEED)


def test_the_message_names_the_parameter_expectation_and_value():
    with pytest.raises(InvalidParameterError) as info:
        check("seed", 2**32, SEED, None, where="TextClassifier")
    assert str(info.value) == (
        "TextClassifier: `seed` must be an integer in [0, 2**32) or None. "
        "Received: seed=4294967296."
    )
    with pytest.raises(InvalidParameterError, match="of type list"):
        check("bidirectional", [1], BOOL)


def test_interval_bounds_follow_closed():
    half_open = Interval(float, 0, 1, closed="left")
    assert half_open.accepts(0) and not half_open.accepts(1)
    right = Interval(int, 0, 4, closed="right")
    assert right.accepts(4) and not right.accepts(0)
    assert str(Interval(int, 2, None)) == "an integer >= 2"
    with pytest.raises(ValueError, match="closed"):
        Interval(int, 0, 1, closed="open")


def test_options_compare_type_and_value():
    decode = Options(["fused", "stepwise"])
    assert check("decode", "fused", decode) == "fused"
    with pytest.raises(InvalidParameterError, match=r"one of \['fused'"):
        check("decode", "FUSED", decode)
    assert not Options([1, 2]).accepts(True)  # True == 1, but not an option


def test_path_like_normalises_to_str_and_refuses_empty():
    assert check("path", pathlib.Path("a.keras"), PathLike()) == "a.keras"
    for value in ("", b"a.keras", 3):
        with pytest.raises(InvalidParameterError, match="path"):
            check("path", value, PathLike())


def test_validate_checks_only_named_parameters_and_keeps_the_rest():
    rules = {"hidden_dim": POSITIVE_INT, "seed": [SEED, None]}
    out = validate(rules, {"hidden_dim": np.int32(4), "seed": None, "x": "y"})
    assert out == {"hidden_dim": 4, "seed": None, "x": "y"}
    with pytest.raises(InvalidParameterError, match="Summarizer: `seed`"):
        validate(rules, {"seed": -1}, where="Summarizer")


def test_argparse_types_accept_and_refuse_what_the_library_does():
    learning_rate = argparse_type(POSITIVE_FLOAT)
    assert learning_rate("1e-3") == 1e-3
    for text in ("inf", "nan", "0", "-1", "fast"):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
            learning_rate(text)
    seed = argparse_type(SEED)
    assert seed("7") == 7
    with pytest.raises(argparse.ArgumentTypeError, match=r"2\*\*32"):
        seed(str(2**40))
    optional = argparse_type(POSITIVE_INT, None)
    assert optional("none") is None and optional("3") == 3
    flag = argparse_type(BOOL)
    assert flag("true") is True and flag("False") is False


def test_argparse_type_in_a_parser_gives_one_line_usage_errors():
    parser = argparse.ArgumentParser(prog="p", exit_on_error=False)
    parser.add_argument("--epochs", type=argparse_type(POSITIVE_INT))
    assert parser.parse_args(["--epochs", "3"]).epochs == 3
    with pytest.raises(argparse.ArgumentError, match="received '0'"):
        parser.parse_args(["--epochs", "0"])
