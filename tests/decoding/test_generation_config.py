"""GenerationConfig: defaults, normalisation, refusals, the rules across
fields, to_dict and replace (no model is built here)."""

import argparse
import dataclasses
import doctest
import json

import numpy as np
import pytest

import nlptoolkit
from nlptoolkit.decoding import BeamSampler
from nlptoolkit.decoding import GenerationConfig
from nlptoolkit.decoding import config as config_module
from nlptoolkit.decoding import make_sampler
from nlptoolkit.validation import InvalidParameterError
from nlptoolkit.validation import argparse_type

FIELDS = (
    "max_length",
    "sampler",
    "temperature",
    "seed",
    "top_k",
    "top_p",
    "num_beams",
    "length_penalty",
    "no_repeat_ngram_size",
    "decode",
    "jit_compile",
    "chunk_size",
)


def test_fields_defaults_and_exports():
    assert nlptoolkit.GenerationConfig is GenerationConfig
    assert "GenerationConfig" in nlptoolkit.__all__
    assert tuple(f.name for f in dataclasses.fields(GenerationConfig)) == (
        FIELDS
    )
    assert GenerationConfig().to_dict() == {
        "max_length": None,
        "sampler": None,
        "temperature": 1.0,
        "seed": None,
        "top_k": 10,
        "top_p": 0.9,
        "num_beams": 4,
        "length_penalty": None,
        "no_repeat_ngram_size": 0,
        "decode": "fused",
        "jit_compile": "auto",
        "chunk_size": 1,
    }
    for field in dataclasses.fields(GenerationConfig):
        assert field.metadata["constraints"], field.name
        help_text = field.metadata["help"]
        assert help_text and "\n" not in help_text, field.name


def test_config_is_frozen():
    config = GenerationConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.top_k = 3


def test_numpy_numbers_and_sampler_aliases_are_normalised():
    config = GenerationConfig(
        max_length=np.int64(7),
        seed=np.int32(3),
        top_k=np.int16(5),
        top_p=np.float32(0.5),
        temperature=2,
        num_beams=np.int64(2),
        no_repeat_ngram_size=np.int8(2),
        length_penalty=np.int64(0),
        sampler="BEAM",
    )
    expected = {
        "max_length": (7, int),
        "seed": (3, int),
        "top_k": (5, int),
        "top_p": (0.5, float),
        "temperature": (2.0, float),
        "num_beams": (2, int),
        "no_repeat_ngram_size": (2, int),
        "length_penalty": (0.0, float),
    }
    for name, (value, kind) in expected.items():
        got = getattr(config, name)
        assert got == value and type(got) is kind, (name, got)
    assert config.sampler == "beam"
    for alias, name in (("nucleus", "top_p"), ("Top-K", "top_k")):
        assert GenerationConfig(sampler=alias).sampler == name
    json.dumps(config.to_dict())  # plain Python values only


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_length": 0}, "`max_length` must be a positive integer"),
        ({"max_length": 2.0}, "Received: max_length=2.0"),
        ({"sampler": "nope"}, r"one of \['beam', 'greedy', 'random', 'top_k'"),
        ({"sampler": 3}, "keras_hub.samplers.Sampler"),
        ({"temperature": 0}, "`temperature` must be a finite number > 0"),
        ({"temperature": float("inf")}, "temperature=inf"),
        ({"seed": 2**32}, r"`seed` must be an integer in \[0, 2\*\*32\)"),
        ({"seed": True}, "seed=True"),
        ({"top_k": 0}, "top_k=0"),
        ({"top_p": 0.0}, r"`top_p` must be a number in \(0, 1\]"),
        ({"top_p": 1.5}, "top_p=1.5"),
        ({"num_beams": 0}, "num_beams=0"),
        ({"length_penalty": float("nan")}, "length_penalty=nan"),
        ({"length_penalty": False}, "length_penalty=False"),
        ({"length_penalty": "x"}, "length_penalty='x'"),
        ({"no_repeat_ngram_size": -1}, "no_repeat_ngram_size=-1"),
        ({"no_repeat_ngram_size": 1.0}, "no_repeat_ngram_size=1.0"),
        ({"decode": "fast"}, r"one of \['fused', 'stepwise', 'uncached'\]"),
        ({"jit_compile": "yes"}, r"one of \['auto'\] or True or False"),
        ({"chunk_size": 0}, "chunk_size=0"),
        ({"chunk_size": "big", "decode": "stepwise"}, "chunk_size='big'"),
    ],
)
def test_bad_values_are_refused_naming_field_and_value(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match) as error:
        GenerationConfig(**kwargs)
    assert "Received:" in str(error.value)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sampler": "beam", "decode": "stepwise"}, "needs decode='fused'"),
        ({"sampler": "beam_search", "decode": "uncached"}, "sampler='beam'"),
        (
            {"sampler": BeamSampler(num_beams=2), "decode": "stepwise"},
            "decode='stepwise' with sampler='beam'",
        ),
        ({"sampler": "top_p", "length_penalty": 2.0}, "only applies to beam"),
        ({"sampler": "greedy", "length_penalty": 1.0}, "sampler='beam'"),
        (
            {"sampler": make_sampler("beam"), "length_penalty": 1.0},
            "set on the sampler object itself",
        ),
        ({"chunk_size": 4}, "decode='stepwise', or chunk_size=1"),
        ({"chunk_size": "auto", "decode": "fused"}, "chunk_size='auto'"),
    ],
)
def test_rules_across_fields(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        GenerationConfig(**kwargs)


def test_rules_wait_for_the_sampler_the_task_fills_in():
    """With sampler=None (the task's default) beam/fused and
    length_penalty are checked once the default is filled in."""
    config = GenerationConfig(decode="stepwise", length_penalty=0.5)
    assert config.sampler is None
    with pytest.raises(InvalidParameterError, match="needs decode='fused'"):
        GenerationConfig.resolve(config, defaults={"sampler": "beam"})
    greedy = GenerationConfig.resolve(
        config, {"length_penalty": None}, defaults={"sampler": "greedy"}
    )
    assert (greedy.sampler, greedy.decode) == ("greedy", "stepwise")
    with pytest.raises(InvalidParameterError, match="only applies to beam"):
        GenerationConfig.resolve(config, defaults={"sampler": "greedy"})
    assert (
        GenerationConfig(
            sampler="top_k", top_p=0.5, num_beams=2, decode="uncached"
        ).top_p
        == 0.5
    )  # options of other samplers are not refused
    assert GenerationConfig(decode="stepwise", chunk_size="auto").chunk_size


def test_resolve_order_config_then_keywords_then_task_defaults():
    base = GenerationConfig(sampler="top_k", top_k=5, max_length=None)
    config = GenerationConfig.resolve(
        base,
        {"top_k": np.int64(3), "seed": 1},
        defaults={"sampler": "greedy", "max_length": 100},
    )
    assert (config.sampler, config.top_k, config.seed) == ("top_k", 3, 1)
    assert config.max_length == 100
    assert base.top_k == 5  # the caller's config is left as it was
    none = GenerationConfig.resolve(None, {}, defaults={"sampler": "beam"})
    assert none == GenerationConfig(sampler="beam")
    with pytest.raises(TypeError, match="unexpected keyword argument 'topk'"):
        GenerationConfig.resolve(None, {"topk": 3}, where="generate")
    positional = "by keyword.*Received: config=20"  # generate(prompts, 20)
    with pytest.raises(InvalidParameterError, match=positional):
        GenerationConfig.resolve(20, {})
    with pytest.raises(InvalidParameterError, match="`config` must be"):
        GenerationConfig.resolve({"top_k": 3}, {})


def test_to_dict_round_trip_and_replace():
    config = GenerationConfig(
        max_length=12,
        sampler="beam",
        num_beams=3,
        length_penalty=0.5,
        no_repeat_ngram_size=2,
        jit_compile=False,
    )
    record = json.loads(json.dumps(config.to_dict()))
    assert GenerationConfig(**record) == config
    changed = config.replace(num_beams=np.int64(2), length_penalty=None)
    assert (changed.num_beams, changed.length_penalty) == (2, None)
    assert config.num_beams == 3
    with pytest.raises(InvalidParameterError, match="needs decode='fused'"):
        config.replace(decode="stepwise")
    with pytest.raises(TypeError, match="'beams'"):
        config.replace(beams=2)
    stepwise = GenerationConfig(decode="stepwise", chunk_size="auto")
    assert GenerationConfig(**stepwise.to_dict()) == stepwise


def test_a_sampler_object_is_kept_and_recorded_by_its_config():
    sampler = make_sampler("top_k", top_k=3, seed=1)
    config = GenerationConfig(sampler=sampler)
    assert config.sampler is sampler
    assert config.make_sampler() is sampler
    record = json.loads(json.dumps(config.to_dict()))
    assert record["sampler"] == {
        "class_name": "TopKSampler",
        "config": sampler.get_config(),
    }


def test_make_sampler_uses_every_setting():
    beam = GenerationConfig(sampler="beam", num_beams=3, length_penalty=0.0)
    sampler = beam.make_sampler()
    assert (sampler.num_beams, sampler.length_penalty) == (3, 0.0)
    top_k = GenerationConfig(sampler="top_k", top_k=5, temperature=0.5)
    assert top_k.make_sampler().get_config()["k"] == 5
    with pytest.raises(ValueError, match="at most the vocabulary size"):
        top_k.make_sampler(vocabulary_size=4)
    with pytest.raises(ValueError, match="sampler=None"):
        GenerationConfig().make_sampler()


def test_each_fields_constraints_make_its_command_line_type():
    """The metadata is what the CLI reads: argparse types built from it
    accept and refuse what the config does."""
    fields = {f.name: f for f in dataclasses.fields(GenerationConfig)}

    def parse(name, text):
        return argparse_type(*fields[name].metadata["constraints"])(text)

    assert parse("sampler", "Nucleus") == "top_p"
    assert parse("jit_compile", "false") is False
    assert parse("chunk_size", "auto") == "auto"
    assert parse("chunk_size", "8") == 8
    assert parse("length_penalty", "none") is None
    assert parse("seed", "7") == 7
    for name, text in (("top_p", "0"), ("decode", "fast"), ("seed", "-1")):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
            parse(name, text)


def test_docstring_examples_run():
    result = doctest.testmod(config_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
