"""Sampler names -> keras-hub samplers (none are written here)."""

import keras_hub
from keras import ops

SAMPLERS = {
    "greedy": keras_hub.samplers.GreedySampler,
    "top_k": keras_hub.samplers.TopKSampler,
    "top_p": keras_hub.samplers.TopPSampler,
    "random": keras_hub.samplers.RandomSampler,
    "beam": keras_hub.samplers.BeamSampler,
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
):
    """A keras-hub ``Sampler`` from a name (or pass one through).

    Example:
    >>> from nlptoolkit.decoding import make_sampler
    >>> type(make_sampler("top_k", top_k=5, seed=1)).__name__
    'TopKSampler'
    """
    if isinstance(sampler, keras_hub.samplers.Sampler):
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
    if not isinstance(temperature, (int, float)) or temperature <= 0:
        raise ValueError(
            "`temperature` must be a positive number. Received: "
            f"temperature={temperature!r}."
        )
    if name == "greedy":
        return SAMPLERS[name](temperature=temperature)
    if name == "beam":
        if (
            isinstance(num_beams, bool)
            or not isinstance(num_beams, int)
            or (num_beams < 1)
        ):
            raise ValueError(
                "`num_beams` must be an integer >= 1. Received: "
                f"num_beams={num_beams!r}."
            )
        return SAMPLERS[name](num_beams=num_beams, temperature=temperature)
    if name == "top_k":
        return SAMPLERS[name](k=top_k, seed=seed, temperature=temperature)
    if name == "top_p":
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
