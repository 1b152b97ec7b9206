"""GenerationConfig: the decoding options in one validated, frozen object.

``TextGenerator.generate``, ``Summarizer.summarize`` and
``Summarizer.evaluate`` take ``config=`` a :class:`GenerationConfig`;
their old keyword arguments still work and override its fields. Each
field declares its rule (``nlptoolkit.validation`` constraints) and a
one-line ``help`` in its ``metadata``, so the command line builds its
flags from the same fields, and ``to_dict()`` is what ``metrics.json``
records.
"""

import dataclasses

import keras_hub

from nlptoolkit.decoding.loop import DECODE_PATHS
from nlptoolkit.decoding.samplers import SAMPLER_ALIASES
from nlptoolkit.decoding.samplers import SAMPLERS
from nlptoolkit.decoding.samplers import make_sampler as build_sampler
from nlptoolkit.validation import BOOL
from nlptoolkit.validation import NON_NEGATIVE_INT
from nlptoolkit.validation import POSITIVE_FLOAT
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import SEED
from nlptoolkit.validation import InstanceOf
from nlptoolkit.validation import Interval
from nlptoolkit.validation import InvalidParameterError
from nlptoolkit.validation import Options
from nlptoolkit.validation import check
from nlptoolkit.validation import validate

__all__ = ["GenerationConfig"]


class _SamplerName(Options):
    """A sampler's name in any case, or an alias (``"nucleus"``,
    ``"top-k"``...), normalised to its name in ``SAMPLERS``, as
    ``make_sampler`` reads it."""

    def __init__(self):
        super().__init__(sorted(SAMPLERS))

    @staticmethod
    def _name(value):
        if not isinstance(value, str):
            return None
        return SAMPLER_ALIASES.get(value.lower(), value.lower())

    def accepts(self, value):
        return self._name(value) in self.values

    def normalise(self, value):
        return self._name(value)


SAMPLER_OBJECT = InstanceOf(
    keras_hub.samplers.Sampler, description="a keras_hub.samplers.Sampler"
)


def _option(default, *constraints, help):
    """A field: its default, its constraints and its one-line help."""
    return dataclasses.field(
        default=default,
        metadata={"constraints": constraints, "help": help},
    )


def _is_beam(sampler):
    return sampler == "beam" or hasattr(sampler, "num_beams")


@dataclasses.dataclass(frozen=True)
class GenerationConfig:
    """How to decode: the sampler, its settings and the decode path.

    Fields (each checked when the config is made; a NumPy integer
    becomes an ``int``, a sampler alias its name):

    - ``max_length``: new tokens at most. None: the task's default (100
      for ``TextGenerator.generate``; ``summary_length``, capped to the
      decoder's positions, for ``Summarizer``).
    - ``sampler``: ``"greedy"``, ``"top_k"``, ``"top_p"``, ``"random"``,
      ``"beam"`` (any case, or an alias such as ``"nucleus"``) or a
      ``keras_hub.samplers.Sampler``. None: the task's default
      (``"greedy"`` for ``generate`` and ``Summarizer.evaluate``,
      ``"beam"`` for ``summarize``).
    - ``temperature`` (> 0), ``seed`` (seeds the random samplers: same
      seed, same text), ``top_k`` (the ``top_k`` sampler; at most the
      vocabulary size, checked when decoding), ``top_p`` (the ``top_p``
      sampler, in (0, 1]), ``num_beams`` (``sampler="beam"``).
    - ``length_penalty``: beam search only (an error with another
      sampler): the final beam maximises ``sum_log_probs /
      generated_length ** length_penalty`` (Hugging Face's convention;
      the length counts new tokens up to and including the stop token).
      None means 1.0; 0.0 ranks by the plain sum.
    - ``no_repeat_ngram_size``: ``n > 0`` forbids any n-gram from
      occurring twice in a row's tokens (the prompt's included), on
      every sampler and decode path; 0: off.
    - ``decode``: ``"fused"`` (one compiled loop, fastest),
      ``"stepwise"`` (one compiled step per token: callbacks,
      streaming) or ``"uncached"`` (recomputes the prefix: the
      reference). Beam search needs ``"fused"``.
    - ``jit_compile``: ``"auto"`` (XLA for the fused loop and the
      stepwise cycles where it compiles, else the plain compiled loop),
      True (XLA, its errors raised) or False.
    - ``chunk_size``: ``decode="stepwise"`` only: decoding steps per
      clocked cycle (1: one step each; k > 1: k steps in one compiled
      call; ``"auto"``: sized from measured costs, see
      ``nlptoolkit.decoding.loop.ChunkSizer``).

    A rule across fields is checked as soon as its fields are known (a
    ``sampler`` of None waits for the task's default): beam search needs
    ``decode="fused"``; ``length_penalty`` needs ``sampler="beam"``;
    ``chunk_size`` other than 1 needs ``decode="stepwise"``.

    Example:
    >>> import numpy as np
    >>> from nlptoolkit.decoding import GenerationConfig
    >>> config = GenerationConfig(
    ...     sampler="Nucleus", top_p=0.8, seed=np.int64(3))
    >>> config.sampler, config.seed, type(config.seed).__name__
    ('top_p', 3, 'int')
    >>> config.replace(temperature=0.7).temperature
    0.7
    >>> GenerationConfig(**config.to_dict()) == config
    True
    >>> GenerationConfig(sampler="beam", decode="stepwise")
    Traceback (most recent call last):
    ...
    nlptoolkit.validation.InvalidParameterError: Beam search needs \
decode='fused' (its beams live inside one compiled loop). Received: \
decode='stepwise' with sampler='beam'. Use decode='fused', or a greedy, \
top_k, top_p or random sampler.
    """

    max_length: int = _option(
        None,
        POSITIVE_INT,
        None,
        help="new tokens at most (default: the task's: 100 to generate, "
        "summary_length to summarize)",
    )
    sampler: object = _option(
        None,
        _SamplerName(),
        SAMPLER_OBJECT,
        None,
        help="greedy, top_k, top_p, random or beam (default: the task's: "
        "greedy to generate and evaluate, beam to summarize)",
    )
    temperature: float = _option(
        1.0, POSITIVE_FLOAT, help="divides the logits before sampling"
    )
    seed: int = _option(
        None, SEED, None, help="seeds the random samplers: same seed, same text"
    )
    top_k: int = _option(
        10, POSITIVE_INT, help="tokens the top_k sampler draws from"
    )
    top_p: float = _option(
        0.9,
        Interval(float, 0, 1, closed="right"),
        help="probability mass the top_p sampler draws from",
    )
    num_beams: int = _option(4, POSITIVE_INT, help="beams for the beam sampler")
    length_penalty: float = _option(
        None,
        Interval(float, None, None),
        None,
        help="beam search only: the final beam maximises sum of "
        "log-probs / length ** L (default 1.0; 0 = plain sum)",
    )
    no_repeat_ngram_size: int = _option(
        0,
        NON_NEGATIVE_INT,
        help="never repeat an N-gram, prompt included (default 0: off)",
    )
    decode: str = _option(
        "fused",
        Options(DECODE_PATHS),
        help="fused | stepwise | uncached (beam search: fused)",
    )
    jit_compile: object = _option(
        "auto",
        Options(["auto"]),
        BOOL,
        help="XLA: auto (where it compiles), true or false",
    )
    chunk_size: object = _option(
        1,
        POSITIVE_INT,
        Options(["auto"]),
        help="decode=stepwise only: decoding steps per clocked cycle, or auto",
    )

    def __post_init__(self):
        rules = {
            field.name: field.metadata["constraints"]
            for field in dataclasses.fields(self)
        }
        checked = validate(rules, self._values())
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        self._check_across_fields()

    def _values(self):
        """``{field name: value}``, the values as they are (a sampler
        object itself, not a copy)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def _check_across_fields(self):
        """The rules between fields, each once its fields are known."""
        sampler, decode = self.sampler, self.decode
        if sampler is not None and _is_beam(sampler) and decode != "fused":
            shown = sampler if isinstance(sampler, str) else "beam"
            raise InvalidParameterError(
                "Beam search needs decode='fused' (its beams live inside "
                f"one compiled loop). Received: decode={decode!r} with "
                f"sampler={shown!r}. Use decode='fused', or a greedy, "
                "top_k, top_p or random sampler."
            )
        penalty = self.length_penalty
        if penalty is not None and isinstance(sampler, str):
            if sampler != "beam":
                raise InvalidParameterError(
                    "`length_penalty` only applies to beam search. "
                    f"Received: length_penalty={penalty!r} with "
                    f"sampler={sampler!r}. Use sampler='beam', or leave "
                    "length_penalty=None."
                )
        elif penalty is not None and sampler is not None:
            raise InvalidParameterError(
                "`length_penalty` is set on the sampler object itself when "
                f"`sampler` is one. Received: sampler={sampler!r}, "
                f"length_penalty={penalty!r}. Pass "
                "nlptoolkit.decoding.BeamSampler(length_penalty=...) or "
                "sampler='beam'."
            )
        if self.chunk_size != 1 and decode != "stepwise":
            raise InvalidParameterError(
                "`chunk_size` groups the steps of decode='stepwise' into "
                f"cycles. Received: chunk_size={self.chunk_size!r} with "
                f"decode={decode!r}. Use decode='stepwise', or chunk_size=1."
            )

    def to_dict(self):
        """The fields as a JSON-able dict (what ``metrics.json``
        records). A sampler object is recorded as ``{"class_name": ...,
        "config": its get_config()}``; only a config with a sampler's
        name comes back from ``GenerationConfig(**config.to_dict())``."""
        values = self._values()
        sampler = values["sampler"]
        if sampler is not None and not isinstance(sampler, str):
            values["sampler"] = {
                "class_name": type(sampler).__name__,
                "config": sampler.get_config(),
            }
        return values

    def replace(self, **changes):
        """A copy with ``changes`` (field names) applied and checked."""
        _check_names(changes, "GenerationConfig.replace")
        return dataclasses.replace(self, **changes)

    @classmethod
    def resolve(cls, config=None, options=None, defaults=None, where=None):
        """The config one call decodes with: ``config`` (None: every
        field's default), then the keyword ``options`` the call was
        given (they override its fields), then the fields still None
        among ``defaults`` (``{name: the task's default}``) filled in.
        ``where`` (e.g. ``"generate"``) names the call in the error for
        an unknown option.

        Example:
        >>> from nlptoolkit.decoding import GenerationConfig
        >>> base = GenerationConfig(sampler="top_k", top_k=5)
        >>> config = GenerationConfig.resolve(
        ...     base, {"top_k": 3}, defaults={"sampler": "greedy",
        ...     "max_length": 100})
        >>> config.sampler, config.top_k, config.max_length
        ('top_k', 3, 100)
        """
        config = check("config", config, _config_type(cls), None)
        options = dict(options or {})
        _check_names(options, where or "GenerationConfig.resolve")
        values = (config or cls())._values()
        values.update(options)
        for name, default in (defaults or {}).items():
            if values[name] is None:
                values[name] = default
        return cls(**values)

    def make_sampler(self, vocabulary_size=None):
        """The keras-hub sampler these settings give (``make_sampler``;
        ``top_k`` is checked against ``vocabulary_size`` there). The
        ``sampler`` must be known (not None)."""
        if self.sampler is None:
            raise ValueError(
                "This config's `sampler` is None (the task's default), "
                "which the task fills in before decoding. Received: "
                "sampler=None. Pass a sampler, e.g. sampler='greedy'."
            )
        return build_sampler(
            self.sampler,
            self.temperature,
            self.seed,
            self.top_k,
            self.top_p,
            self.num_beams,
            vocabulary_size=vocabulary_size,
            length_penalty=self.length_penalty,
        )


def _config_type(cls):
    return InstanceOf(
        cls,
        description=f"a {cls.__name__} (decoding options go by keyword, "
        "e.g. max_length=20)",
    )


def _check_names(options, where):
    """A ``TypeError`` for a keyword that is no field, as Python's."""
    names = [f.name for f in dataclasses.fields(GenerationConfig)]
    for name in options:
        if name not in names:
            raise TypeError(
                f"{where}() got an unexpected keyword argument {name!r}. "
                f"Decoding options: {names}."
            )
