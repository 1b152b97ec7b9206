"""``generate``, ``summarize`` and ``Summarizer.evaluate`` take a
GenerationConfig: it decodes exactly as the same keyword arguments do,
keywords override its fields, and its rules refuse what the tasks refused
(tiny LSTMs, hidden_dim=8, decoded without XLA to spare compiles)."""

import pytest
from helpers import TINY

import nlptoolkit
from nlptoolkit import GenerationConfig
from nlptoolkit.validation import InvalidParameterError

CORPUS = "to be or not to be, that is the question. " * 8
PROMPTS = ["to be", "", "that is"]
DOCUMENTS = [
    "#Person1#: can i book a room ? #Person2#: sure .",
    "#Person1#: did you see the game ? #Person2#: yes , we won .",
    "#Person1#: where is the station ? #Person2#: turn left .",
] * 2
SUMMARIES = [
    "#Person1# books a room .",
    "#Person2# says they won the game .",
    "#Person2# shows the way to the station .",
] * 2
SIZES = {k: v for k, v in TINY.items() if k != "vocabulary_size"}

# Settings as keywords; each config below is made from the same ones.
GENERATE_CASES = [
    {"max_length": 6, "jit_compile": False},
    {"max_length": 6, "sampler": "top_k", "top_k": 3, "seed": 1},
    {
        "max_length": 6,
        "sampler": "beam",
        "num_beams": 2,
        "length_penalty": 0.0,
        "no_repeat_ngram_size": 2,
    },
    {"max_length": 6, "decode": "stepwise", "chunk_size": 2},
]


@pytest.fixture(scope="module")
def generator():
    model = nlptoolkit.TextGenerator(
        "lstm", seed=0, sequence_length=16, **SIZES
    )
    model.fit(CORPUS, epochs=1, batch_size=8, verbose=0)
    return model


@pytest.fixture(scope="module")
def summarizer():
    model = nlptoolkit.Summarizer(
        "lstm", seed=0, sequence_length=16, summary_length=8, **TINY
    )
    model.fit(DOCUMENTS, SUMMARIES, epochs=1, batch_size=6, verbose=0)
    return model


def _plain(options):
    return {"jit_compile": False, **options}


@pytest.mark.parametrize("options", GENERATE_CASES)
def test_generate_with_a_config_equals_the_keywords(generator, options):
    options = _plain(options)
    by_keywords = generator.generate(PROMPTS, **options)
    by_config = generator.generate(PROMPTS, GenerationConfig(**options))
    assert by_config == by_keywords
    assert len(by_keywords) == len(PROMPTS)


def test_generate_keywords_override_the_config(generator):
    config = GenerationConfig(max_length=9, sampler="beam", jit_compile=False)
    short = generator.generate(PROMPTS, config, max_length=3, sampler="greedy")
    assert short == generator.generate(PROMPTS, max_length=3, jit_compile=False)
    # The task's defaults fill what the config leaves None: 100 tokens,
    # greedy (a config of defaults decodes as a call without one).
    default = generator.generate(["to"], GenerationConfig(jit_compile=False))
    assert default == generator.generate(
        ["to"], max_length=100, sampler="greedy", jit_compile=False
    )
    assert config.max_length == 9  # the caller's config is unchanged


def test_generate_refusals_come_from_the_config(generator):
    stepwise = GenerationConfig(decode="stepwise")
    with pytest.raises(InvalidParameterError, match="needs decode='fused'"):
        generator.generate(["a"], stepwise, sampler="beam")
    with pytest.raises(InvalidParameterError, match="only applies to beam"):
        generator.generate(["a"], length_penalty=1.0)  # greedy by default
    with pytest.raises(TypeError, match="generate.*'max_lenght'"):
        generator.generate(["a"], max_lenght=3)
    with pytest.raises(InvalidParameterError, match="max_length=20"):
        generator.generate(["a"], 20)  # the old positional max_length
    with pytest.raises(ValueError, match="decode='stepwise'"):
        generator.generate(["a"], on_token=print)  # fused: no stream


def test_summarize_and_evaluate_with_a_config_equal_the_keywords(summarizer):
    options = {
        "max_length": 5,
        "sampler": "beam",
        "num_beams": 2,
        "length_penalty": 0.5,
        "no_repeat_ngram_size": 2,
        "jit_compile": False,
    }
    config = GenerationConfig(**options)
    by_keywords = summarizer.summarize(DOCUMENTS[:3], **options)
    assert summarizer.summarize(DOCUMENTS[:3], config) == by_keywords
    evaluated = summarizer.evaluate(DOCUMENTS, SUMMARIES, config=config)
    assert evaluated == summarizer.evaluate(DOCUMENTS, SUMMARIES, **options)
    # evaluate decodes greedily by default, summarize with beams.
    unset = GenerationConfig(max_length=5, jit_compile=False)  # sampler None
    assert summarizer.evaluate(
        DOCUMENTS, SUMMARIES, config=unset
    ) == summarizer.evaluate(
        DOCUMENTS, SUMMARIES, max_length=5, sampler="greedy", jit_compile=False
    )
    assert summarizer.summarize(DOCUMENTS[:3], unset) == (
        summarizer.summarize(DOCUMENTS[:3], unset, sampler="beam")
    )


def test_summarize_takes_the_stepwise_options_of_the_config(summarizer):
    """``chunk_size`` and ``jit_compile`` reach the summarizer's decoder:
    greedy text is the same fused and in stepwise chunks."""
    greedy = GenerationConfig(max_length=6, sampler="greedy", jit_compile=False)
    fused = summarizer.summarize(DOCUMENTS[:3], greedy)
    chunked = summarizer.summarize(
        DOCUMENTS[:3], greedy, decode="stepwise", chunk_size=4
    )
    assert chunked == fused


def test_summarize_refuses_beams_off_the_fused_path_once(summarizer):
    stepwise = GenerationConfig(decode="stepwise", jit_compile=False)
    for call in (
        lambda: summarizer.summarize(DOCUMENTS[:1], decode="stepwise"),
        lambda: summarizer.summarize(DOCUMENTS[:1], stepwise),
    ):
        with pytest.raises(InvalidParameterError, match="needs decode='fused'"):
            call()
    assert len(summarizer.summarize(DOCUMENTS[:1], stepwise, sampler="greedy"))
    with pytest.raises(TypeError, match="evaluate.*'beams'"):
        summarizer.evaluate(DOCUMENTS, SUMMARIES, beams=2)
