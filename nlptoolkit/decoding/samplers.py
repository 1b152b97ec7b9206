"""Sampler names -> samplers: keras-hub's, and nlptoolkit's ``BeamSampler``
(keras-hub's beam search with frozen finished beams and a length
penalty; see ``nlptoolkit.decoding.beam``)."""

import keras_hub
from keras import ops

from nlptoolkit.checks import check_fraction
from nlptoolkit.checks import check_positive_int
from nlptoolkit.checks import check_positive_number
from nlptoolkit.checks import check_seed
from nlptoolkit.decoding.beam import BeamSampler
from nlptoolkit.decoding.beam import check_length_penalty

SAMPLERS = {
    "greedy": keras_hub.samplers.GreedySampler,
    "top_k": keras_hub.samplers.TopKSampler,
    "top_p": keras_hub.samplers.TopPSampler,
    "random": keras_hub.samplers.RandomSampler,
    "beam": BeamSampler,
}
SAMPLER_ALIASES = {
    "topk": "top_k",
    "top-k": "top_k",
    "nucleus": "top_p",
    "top-p": "top_p",
    "topp": "top_p",
    "beam_search": "beam",
}


def make_sampler(
    sampler="greedy",
    temperature=1.0,
    seed=None,
    top_k=10,
    top_p=0.9,
    num_beams=4,
    vocabulary_size=None,
    length_penalty=None,
):
    """A keras-hub ``Sampler`` from a name (or pass one through).

    The arguments the chosen sampler uses are checked here (``top_k`` an
    integer in [1, ``vocabulary_size``], ``top_p`` in (0, 1],
    ``temperature`` finite and > 0, ``seed`` None or in [0, 2**32),
    ``length_penalty`` finite), so a bad value fails before the compiled
    decode loop does. ``"beam"`` gives nlptoolkit's ``BeamSampler``;
    ``length_penalty`` (default None: 1.0) applies to it only, and
    passing one with another sampler (or a sampler object) is an error.

    Example:
    >>> from nlptoolkit.decoding import make_sampler
    >>> type(make_sampler("top_k", top_k=5, seed=1)).__name__
    'TopKSampler'
    >>> make_sampler("beam", num_beams=2, length_penalty=0.0).length_penalty
    0.0
    """
    if isinstance(sampler, keras_hub.samplers.Sampler):
        if length_penalty is not None:
            raise ValueError(
                "`length_penalty` is set on the sampler object itself when "
                f"`sampler` is one. Received: sampler={sampler!r}, "
                f"length_penalty={length_penalty!r}. Pass "
                "nlptoolkit.decoding.BeamSampler(length_penalty=...) or "
                "sampler='beam'."
            )
        return sampler
    if not isinstance(sampler, str):
        raise TypeError(
            "`sampler` must be a name or a keras_hub Sampler. Received: "
            f"{sampler!r}. Expected one of {sorted(SAMPLERS)}."
        )
    name = SAMPLER_ALIASES.get(sampler.lower(), sampler.lower())
    if name not in SAMPLERS:
        raise ValueError(
            f"Unknown sampler. Received: sampler={sampler!r}. Expected one "
            f"of {sorted(SAMPLERS)} or a keras_hub.samplers.Sampler."
        )
    temperature = check_positive_number("temperature", temperature)
    if length_penalty is not None and name != "beam":
        raise ValueError(
            "`length_penalty` only applies to beam search. Received: "
            f"length_penalty={length_penalty!r} with sampler={sampler!r}. "
            "Use sampler='beam', or leave length_penalty=None."
        )
    if name == "greedy":
        return SAMPLERS[name](temperature=temperature)
    if name == "beam":
        num_beams = check_positive_int("num_beams", num_beams)
        length_penalty = check_length_penalty(
            1.0 if length_penalty is None else length_penalty
        )
        return SAMPLERS[name](
            num_beams=num_beams,
            length_penalty=length_penalty,
            temperature=temperature,
        )
    seed = check_seed("seed", seed)
    if name == "top_k":
        top_k = check_positive_int("top_k", top_k)
        if vocabulary_size is not None and top_k > vocabulary_size:
            raise ValueError(
                f"`top_k` must be at most the vocabulary size "
                f"({vocabulary_size}). Received: top_k={top_k}. Use "
                f"top_k <= {vocabulary_size}."
            )
        return SAMPLERS[name](k=top_k, seed=seed, temperature=temperature)
    if name == "top_p":
        top_p = check_fraction("top_p", top_p, closed_low=False)
        return SAMPLERS[name](p=top_p, seed=seed, temperature=temperature)
    return SAMPLERS[name](seed=seed, temperature=temperature)


def sampler_key(sampler):
    """A hashable description of a sampler's settings (for reuse)."""
    config = sampler.get_config()
    return (type(sampler).__name__,) + tuple(
        sorted((k, repr(v)) for k, v in config.items())
    )


def reset_seed(sampler, state):
    """Put a random sampler's seed generator back to ``state``."""
    generator = getattr(sampler, "seed_generator", None)
    if generator is not None and state is not None:
        generator.state.assign(state)


def seed_state(sampler):
    generator = getattr(sampler, "seed_generator", None)
    if generator is None:
        return None
    return ops.convert_to_numpy(generator.state).copy()
