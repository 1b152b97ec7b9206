"""The decode loops: fused, stepwise and uncached, over one adapter.

- ``fused``: prefill, then the whole loop inside one compiled keras-hub
  sampler call (``ops.while_loop``). Fastest; callbacks see only the
  start and the end.
- ``stepwise``: the sampler's loop cut into cycles, each one compiled
  call from Python, so callbacks (the inference clock) and ``on_token``
  streaming see them: the prefill and the first step (one call; it
  produces the first token, TTFT), then one step per cycle
  (``chunk_size=1``, kind ``"step"``) or up to ``chunk_size`` steps per
  cycle (kind ``"chunk"``; the clock derives per-step figures from it;
  ``chunk_size="auto"`` sizes each chunk from the measured cost of a call
  and of a step, ``ChunkSizer``).
  Each cycle is a ``while_loop`` whose start and number of steps are
  tensors, compiled with XLA like the fused loop: a new position neither
  retraces nor recompiles. (A single step compiled with XLA and its
  position as an argument recompiles for every position: XLA treats the
  position as a compile-time constant.) How close chunks come to the
  fused loop's speed: BENCHMARKS.md, "Inference clock" > "The clocked
  path against fused" (``benchmarks/clock.py``).
- ``uncached``: every step recomputes the whole prefix (no cache): the
  quadratic reference path, for tests and for the clock's comparison.

Greedy decoding gives the same tokens on all three paths.

Past a Transformer's positions (a token array wider than its
``sequence_length``), every path decodes over a sliding
``ContextWindow`` (``nlptoolkit.decoding.window``): the cached paths
re-prefill the cache with the last ``window.keep`` tokens where the
window slides (on the stepwise path that cycle has kind
``"reprefill"``), the uncached path feeds each step the window's tokens.

``jit_compile`` (``generate``; TensorFlow backend, fused and stepwise
paths): ``"auto"`` (default) compiles the fused ``while_loop`` (and the
stepwise cycles) with XLA
(``tf.function(jit_compile=True)``) when the adapter is marked
``supports_jit``, and runs it without XLA otherwise, or when XLA fails to
compile it (the reason is logged once, and those settings keep the
non-XLA loop from then on); ``True`` insists on XLA (its errors are
raised); ``False`` never uses it. Under XLA, one compiled function runs
``fused_graph``: the prefill (of the prompt columns before ``start``)
and the loop, so XLA compiles once per token-array shape *and* ``start``
(the shortest prompt), which takes seconds (a plain ``tf.function``
generalises across shapes instead: the first call of a new shape is
cheaper). XLA's speed-up over the plain loop, at batch 1 and 32, and the
longer first call (the XLA compile): BENCHMARKS.md, "Generation speed:
nlptoolkit Transformer vs GPT2CausalLM" (``fused`` against
``fused_nojit``; ``benchmarks/generation_speed.py``); the greedy text is
the same. The random samplers draw different (equally seeded, equally
repeatable) tokens under XLA than without. JAX's ``jax.jit`` is XLA
already; other backends ignore the argument.

``no_repeat_ngram_size=n`` (``generate`` and ``fused_graph``) bans every
token that would repeat an n-gram of its row (prompt included), on all
three paths and for every sampler: ``Decoder._processed`` applies
``ban_repeated_ngrams`` to the logits of each step, inside the ``next``
function the samplers call (fused, stepwise) and after
``uncached_logits`` (uncached).

Hooks called on each callback that defines them (the InferenceClock
does): ``on_decode_begin(logs)``, ``on_prefill_begin(logs)``,
``on_prefill_end(logs)``, ``on_decode_step_begin(step, logs)``,
``on_decode_step_end(step, logs)``, ``on_decode_end(logs)``. ``_end``
hooks run after the new token ids are numpy arrays on the host. Step
hooks' ``logs`` carry ``kind`` (``"step"``, ``"chunk"`` or
``"reprefill"``) and, at the end, ``span`` (the steps the cycle ran).
"""

import dataclasses
import functools
import logging
import math
import time

import keras
import numpy as np
from keras import ops
from keras_hub.src.utils.tensor_utils import any_equal

from nlptoolkit.decoding.processors import ban_repeated_ngrams
from nlptoolkit.decoding.processors import check_no_repeat_ngram_size
from nlptoolkit.decoding.samplers import reset_seed
from nlptoolkit.decoding.samplers import sampler_key
from nlptoolkit.decoding.samplers import seed_state
from nlptoolkit.decoding.window import ContextWindow
from nlptoolkit.preprocessing import PAD_ID
from nlptoolkit.validation import POSITIVE_INT
from nlptoolkit.validation import Options
from nlptoolkit.validation import check

DECODE_PATHS = ("fused", "stepwise", "uncached")
# The rules of the decode loop's options (one place, for every caller).
DECODE = Options(DECODE_PATHS)
JIT_COMPILE = Options(
    ["auto", True, False], description="'auto', True or False"
)
CHUNK_SIZE = (POSITIVE_INT, Options(["auto"], description="'auto'"))

logger = logging.getLogger(__name__)


def _compile(function, jit_compile=False):
    """Compile with the backend's graph compiler (eager otherwise);
    ``jit_compile=True`` asks TensorFlow for XLA."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(
            function, reduce_retracing=True, jit_compile=jit_compile or None
        )
    if keras.backend.backend() == "jax":
        import jax

        return jax.jit(function)
    return function


# `_flat_caller`'s answer where a concrete function cannot be called
# directly: `_dispatch` then calls the tf.function as usual.
_POLYMORPHIC = object()


def _flat_caller(function, args, flat):
    """``call(flat_tensors)`` running ``function``'s concrete function for
    ``args`` (traced here if new), or ``_POLYMORPHIC`` where its inputs do
    not line up with ``flat`` (then the ``tf.function`` is called)."""
    concrete = function.get_concrete_function(*args)
    call_flat = getattr(concrete, "_call_flat", None)
    captured = list(concrete.captured_inputs)
    inputs = concrete.inputs
    if call_flat is None or len(inputs) != len(flat) + len(captured):
        return _POLYMORPHIC
    for placeholder, value in zip(inputs, flat, strict=False):
        if placeholder.dtype != value.dtype:
            return _POLYMORPHIC

    def call(tensors):
        return call_flat(tensors, captured)

    return call


def _call_hooks(callbacks, hook, *args):
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(*args)


def check_jit_compile(jit_compile):
    """``jit_compile`` if it is ``"auto"``, ``True`` or ``False``."""
    return check(
        "jit_compile",
        jit_compile,
        JIT_COMPILE,
        hint="Use 'auto' (XLA where it compiles), True (XLA, errors raised) "
        "or False (no XLA).",
    )


def check_chunk_size(chunk_size, decode="stepwise"):
    """``chunk_size`` if it is an integer >= 1 or ``"auto"`` (anything but
    1 only when stepwise)."""
    chunk_size = check(
        "chunk_size",
        chunk_size,
        *CHUNK_SIZE,
        hint="It is the number of decoding steps per clocked cycle: use 1 "
        "(one step per cycle), e.g. 32, or 'auto' (chunks sized so that the "
        "per-call cost stays a small part of each cycle).",
    )
    if chunk_size != 1 and decode != "stepwise":
        raise ValueError(
            "`chunk_size` groups the steps of decode='stepwise' into "
            f"cycles. Received: chunk_size={chunk_size} with "
            f"decode={decode!r}. Use decode='stepwise', or chunk_size=1."
        )
    return chunk_size


def check_decode(decode, sampler=None):
    """Raise a clear error for an unknown path or a beam sampler outside
    the fused loop."""
    check("decode", decode, DECODE)
    if decode != "fused" and hasattr(sampler, "num_beams"):
        raise ValueError(
            "Beam search keeps its own beams inside one compiled loop, "
            f"so it needs decode='fused'. Received: decode={decode!r}. "
            "Use decode='fused' or a greedy/top_k/top_p sampler."
        )


class ChunkSizer:
    """Steps per chunk for ``chunk_size="auto"``.

    A chunk of k steps costs about ``call + k * step`` seconds: ``call``
    is the fixed cost of one compiled call (dispatch, copying the cache
    in and out, which XLA does for an argument it may not overwrite, and
    the host's share of the cycle), ``step`` the cost of one step inside
    the loop. k is the smallest number of steps that keeps ``call`` at
    most ``CALL_SHARE`` of the chunk, and no more than ``MAX_SECONDS`` of
    steps (at least one step). Before the first chunk is measured, a
    chunk has ``FIRST_STEPS`` steps.

    ``probe`` times a call that runs no step once: the least a call
    costs. Every chunk that did not compile is ``record``-ed, and the two
    costs are fitted to the last ``HISTORY`` chunks (a line through the
    fastest chunk of each length) once they have two lengths or more: a
    chunk pays more than a call that runs no step (BENCHMARKS.md, "The
    clocked path against fused": ``auto: probe`` beside ``auto: call``),
    and taking
    the probe for the whole fixed cost overstates the step, which makes
    chunks shorter and the fixed cost larger still. With one length only,
    ``call`` is the probe's and ``step`` the median of the chunks' rest.
    ``costs`` (a dict) keeps everything across runs of the same settings
    and shapes.

    Example:
    >>> from nlptoolkit.decoding.loop import ChunkSizer
    >>> sizer = ChunkSizer({})
    >>> sizer.steps()
    8
    >>> sizer.costs.update(probe=0.001, call=0.001)  # a 1 ms probe
    >>> sizer.record(8, 0.0036, warmup=False)  # one length: call = probe
    >>> round(sizer.costs["step"], 6), sizer.steps()  # call 5% of a chunk
    (0.000325, 59)
    >>> sizer.record(59, 0.0138, warmup=False)  # two lengths: a fit
    >>> round(sizer.costs["call"], 4), round(sizer.costs["step"], 5)
    (0.002, 0.0002)
    >>> sizer.steps()
    190
    """

    CALL_SHARE = 0.05
    MAX_SECONDS = 1.0
    FIRST_STEPS = 8
    HISTORY = 32

    def __init__(self, costs):
        self.costs = costs

    def needs_probe(self):
        return "probe" not in self.costs

    def probe(self, call, repeats=3):
        """Time ``call()``: the fastest of ``repeats`` calls that did not
        compile. Returns whether one compiled (the next cycle is then
        warm-up)."""
        compiled, fastest = False, None
        while fastest is None or repeats > 0:
            began = time.perf_counter()
            _, warmup = call()
            seconds = time.perf_counter() - began
            compiled = compiled or bool(warmup)
            if not warmup:
                repeats -= 1
                fastest = seconds if fastest is None else min(fastest, seconds)
        self.costs["probe"] = fastest
        self.costs.setdefault("call", fastest)
        return compiled

    def record(self, steps, seconds, warmup):
        """A chunk of ``steps`` steps took ``seconds``."""
        if warmup or steps < 1:
            return
        records = self.costs.setdefault("records", [])
        records.append((int(steps), float(seconds)))
        del records[: -self.HISTORY]
        floor = self.costs.get("probe", 0.0)
        call, step = _fit_line(records)
        if step is None or step <= 0:
            call = floor
            step = float(np.median([(s - call) / n for n, s in records]))
        self.costs["call"] = max(call, floor)
        self.costs["step"] = max(step, 1e-7)

    def steps(self):
        step = self.costs.get("step")
        if step is None:
            return self.FIRST_STEPS
        call = self.costs.get("call", 0.0)
        share = self.CALL_SHARE
        # (less a rounding error, so that an exact quotient stays itself)
        amortised = math.ceil(call * (1 - share) / (share * step) - 1e-9)
        return max(1, min(amortised, int(self.MAX_SECONDS / step)))


def _fit_line(records):
    """``(intercept, slope)`` of seconds on steps by least squares over
    the fastest chunk of each length (a burst of load from a neighbour
    only slows a chunk down), or ``(None, None)`` when the records have
    fewer than two lengths."""
    fastest = {}
    for steps, seconds in records:
        fastest[steps] = min(seconds, fastest.get(steps, seconds))
    if len(fastest) < 2:
        return None, None
    steps = np.array(list(fastest), dtype=float)
    seconds = np.array(list(fastest.values()), dtype=float)
    slope, intercept = np.polyfit(steps, seconds, 1)
    return float(intercept), float(slope)


@dataclasses.dataclass(frozen=True)
class _Run:
    """One ``generate`` call, as the helpers of its path see it: the
    compiled ``functions`` of its settings ``key``, the token array (filled
    in place), the prompt's ``start`` and ``mask``, the stop ids, the
    encoder's inputs (or None), ``jit_compile`` and whether it decodes over
    the sliding window."""

    functions: dict
    key: tuple
    token_ids: np.ndarray
    start: int
    mask: np.ndarray
    stop_token_ids: tuple
    encoder_inputs: object
    jit_compile: object
    windowed: bool

    @property
    def shapes(self):
        """What a compiled call's shape depends on: ``(token array shape,
        stop ids, encoder inputs' shape or None)``."""
        encoder_inputs = self.encoder_inputs
        return (
            tuple(self.token_ids.shape),
            tuple(int(t) for t in self.stop_token_ids),
            None if encoder_inputs is None else tuple(encoder_inputs.shape),
        )


class Decoder:
    """Runs decode loops for one adapter and keeps its compiled functions.

    ``generate(token_ids, start, mask, sampler, ...)`` takes a padded
    ``(batch, length)`` int32 array whose first ``start`` columns are
    prompt for every row; ``mask`` marks the prompt positions (kept, not
    generated). It returns the filled array.
    """

    def __init__(self, adapter, window_keep=None):
        self.adapter = adapter
        context = getattr(adapter, "max_positions", None)
        self.window = None
        if context and getattr(adapter, "supports_window", False):
            self.window = ContextWindow(context, window_keep)
        self.traces = 0
        self._prefill = _compile(self._prefill_impl)
        self._compiled = {}
        self._seed_states = {}
        # Settings whose fused loop XLA failed to compile: key -> reason.
        self._jit_failed = {}
        # (settings, shapes) the XLA loop has compiled for (XLA compiles
        # per shape, even where tf.function's trace is shape-relaxed).
        self._jit_shapes = set()
        self._jit_logged = set()
        # (function, argument shapes) -> how `_dispatch` calls it.
        self._concrete = {}
        # (settings, shapes) -> ChunkSizer's measured costs, which size
        # the chunks of the next chunk_size="auto" run from its start.
        self._chunk_costs = {}

    # ------------------------------------------------------ compiled parts
    def _prefill_impl(self, tokens, length, encoder_inputs=None):
        self.traces += 1
        if encoder_inputs is None:
            return self.adapter.prefill(tokens, length)
        return self.adapter.prefill(tokens, encoder_inputs)

    def _processed(self, logits, token_ids, index, no_repeat_ngram_size):
        """The one place where logits processors run, on every path.

        The n-gram ban skips the adapter's ``ngram_pad_id`` (the trained
        tokenizers' [PAD]); a pretrained model's adapter sets it to None,
        as every id of its vocabulary may be a real token (GPT-2's 0 is
        "!")."""
        return ban_repeated_ngrams(
            logits,
            token_ids,
            index,
            no_repeat_ngram_size,
            pad_id=getattr(self.adapter, "ngram_pad_id", PAD_ID),
        )

    def _windowed(self, length):
        """Whether a token array of width ``length`` needs the sliding
        context window (it outgrows the adapter's positions)."""
        return self.window is not None and self.window.needed(length)

    def _next(self, no_repeat_ngram_size=0, windowed=False):
        """The adapter's ``next`` (over the sliding window if
        ``windowed``) with the logits processors applied."""
        adapter_next = self.adapter.next
        if windowed:
            adapter_next = self.adapter.windowed_next(self.window)
        if not no_repeat_ngram_size:
            return adapter_next

        def next(prompt, cache, index):
            logits, hidden_states, cache = adapter_next(prompt, cache, index)
            logits = self._processed(
                logits, prompt, index, no_repeat_ngram_size
            )
            return logits, hidden_states, cache

        return next

    def _functions(self, sampler, no_repeat_ngram_size=0, windowed=False):
        """Compiled functions for a sampler's settings (traced once per
        settings, not per call: a new sampler object with the same
        settings reuses them, and the first object's state)."""
        key = (sampler_key(sampler), no_repeat_ngram_size, bool(windowed))
        if key not in self._compiled:
            adapter = self.adapter
            next_function = self._next(no_repeat_ngram_size, windowed)
            # Random samplers share one seed stream (and its starting
            # state) across the windowed and plain variants of settings.
            shared = None
            for other_key, other in self._compiled.items():
                if other_key[:2] == key[:2]:
                    shared = other_key
                    sampler = other["sampler"]

            def fused_loop(token_ids, cache, index, mask, stop_token_ids):
                self.traces += 1
                stop = tuple(stop_token_ids) if stop_token_ids else None
                return sampler(
                    next=next_function,
                    prompt=token_ids,
                    cache=cache,
                    index=index,
                    mask=mask,
                    stop_token_ids=stop,
                )

            def fused_graph(
                token_ids, start, mask, stop_token_ids, encoder_inputs=None
            ):
                self.traces += 1
                return self.fused_graph(
                    token_ids,
                    start,
                    mask,
                    sampler,
                    stop_token_ids=stop_token_ids,
                    encoder_inputs=encoder_inputs,
                    no_repeat_ngram_size=no_repeat_ngram_size,
                    windowed=windowed,
                )

            def run_chunk(token_ids, cache, index, end, mask, stop):
                """Steps ``index .. end - 1`` (fewer once every row has
                stopped), as the sampler's loop runs them."""

                def cond(token_ids, cache, index):
                    going = index < end
                    if not stop:
                        return going
                    done = any_equal(token_ids, stop, ~mask)
                    return ops.logical_and(
                        going, ops.logical_not(ops.all(ops.any(done, -1)))
                    )

                def body(token_ids, cache, index):
                    logits, _, cache = next_function(token_ids, cache, index)
                    next_token = self._choose(
                        sampler, logits, token_ids, index, mask
                    )
                    token_ids = ops.slice_update(
                        token_ids, [0, index], next_token[:, None]
                    )
                    return token_ids, cache, index + 1

                return ops.while_loop(cond, body, (token_ids, cache, index))

            def chunk(token_ids, cache, index, steps, mask, stop_token_ids):
                self.traces += 1
                stop = tuple(stop_token_ids) if stop_token_ids else None
                index = ops.cast(index, "int32")
                return run_chunk(
                    token_ids, cache, index, index + steps, mask, stop
                )

            def first(
                token_ids, start, mask, stop_token_ids, encoder_inputs=None
            ):
                self.traces += 1
                stop = tuple(stop_token_ids) if stop_token_ids else None
                start = ops.cast(start, "int32")
                cache = self._graph_prefill(
                    token_ids, start, encoder_inputs, windowed
                )
                return run_chunk(token_ids, cache, start, start + 1, mask, stop)

            def uncached(prefix, token_ids, index, mask, encoder_inputs=None):
                self.traces += 1
                if encoder_inputs is None:
                    logits = adapter.uncached_logits(prefix)
                else:
                    logits = adapter.uncached_logits(prefix, encoder_inputs)
                logits = self._processed(
                    logits, token_ids, index, no_repeat_ngram_size
                )
                return self._choose(sampler, logits, token_ids, index, mask)

            self._compiled[key] = {
                "sampler": sampler,
                "fused_python": fused_graph,
                "fused_loop_python": fused_loop,
                "chunk_python": chunk,
                "first_python": first,
                "uncached": _compile(uncached),
            }
            if shared is not None:
                self._seed_states[key] = self._seed_states[shared]
            else:
                self._seed_states[key] = seed_state(sampler)
        return key, self._compiled[key]

    @staticmethod
    def _choose(sampler, logits, token_ids, index, mask):
        probabilities = sampler.compute_probabilities(logits)
        next_token = ops.cast(
            sampler.get_next_token(probabilities), token_ids.dtype
        )
        return ops.where(mask[:, index], token_ids[:, index], next_token)

    def _prefill_cache(
        self, token_ids, start, encoder_inputs=None, windowed=False
    ):
        tokens = self.adapter.prefill_tokens(token_ids, start)
        width = token_ids.shape[1]
        if windowed:
            # The window the first step reads; the cache holds the context.
            tokens = tokens[:, self.window.start(int(start)) :]
            width = self.window.context
        # A tensor, so that a new length does not retrace.
        length = ops.convert_to_tensor(width, "int32")
        if encoder_inputs is not None:
            return self._prefill(tokens, length, encoder_inputs)
        if tokens.shape[1] == 0:
            return self.adapter.empty_cache(tokens.shape[0])
        return self._prefill(tokens, length)

    def _use_jit(self, jit_compile, key):
        """Whether the fused loop for settings ``key`` runs under XLA."""
        if jit_compile is False or keras.backend.backend() != "tensorflow":
            return False
        reason = self._jit_failed.get(key)
        if not getattr(self.adapter, "supports_jit", False):
            reason = (
                f"{type(self.adapter).__name__} is not marked supports_jit "
                "(its loop has not been checked under XLA)"
            )
            if jit_compile is True:
                raise ValueError(
                    f"jit_compile=True, but {reason}. Use jit_compile='auto'"
                    " or False."
                )
        if reason is None:
            return True
        if reason not in self._jit_logged:
            self._jit_logged.add(reason)
            logger.info("The fused loop runs without XLA: %s.", reason)
        return False

    def _run_fused(self, run):
        """Prefill and run the fused loop, in one XLA function where
        ``_use_jit`` says so, else a prefill then a plain ``tf.function``.

        Returns ``(output, warmup)`` as ``_compiled_call`` does.
        """
        functions = run.functions
        stop = tuple(run.stop_token_ids)
        tensors = (
            ops.convert_to_tensor(run.token_ids),
            ops.convert_to_tensor(run.start, "int32"),
            ops.convert_to_tensor(run.mask),
        )

        def plain():
            if "fused_loop" not in functions:
                functions["fused_loop"] = _compile(
                    functions["fused_loop_python"]
                )
            cache = self._prefill_cache(
                run.token_ids, run.start, run.encoder_inputs, run.windowed
            )
            ids, start_tensor, mask_tensor = tensors
            return functions["fused_loop"](
                ids, cache, start_tensor, mask_tensor, stop
            )

        return self._compiled_call(
            functions,
            "fused",
            run.key,
            run.jit_compile,
            (*tensors, stop, run.encoder_inputs),
            run.shapes + (int(run.start),),
            plain=plain,
        )

    def fused_graph(
        self,
        token_ids,
        start,
        mask,
        sampler,
        stop_token_ids=(),
        encoder_inputs=None,
        no_repeat_ngram_size=0,
        windowed=None,
    ):
        """The fused path on tensors, for use inside a traced function.

        What ``generate(..., decode="fused")`` runs (prefill, then the
        sampler's ``while_loop``) without host round trips or callbacks;
        ``token_ids``, ``start`` and ``mask`` may be symbolic, and the
        filled token tensor is returned. ``Task.export`` traces it into
        a SavedModel. ``windowed`` (None: wherever the adapter has a
        sliding ``ContextWindow`` and ``token_ids`` is not known to fit
        its context) decodes over the window, so that the array may be
        wider than the model's positions.

        Example:
        >>> import numpy as np
        >>> import tensorflow as tf
        >>> import nlptoolkit
        >>> from nlptoolkit.decoding import Decoder, adapter_for, make_sampler
        >>> backbone = nlptoolkit.backbones.LSTMBackbone(
        ...     vocabulary_size=20, hidden_dim=8, bidirectional=False)
        >>> head = nlptoolkit.heads.LanguageModelHead(20)
        >>> decoder = Decoder(adapter_for(backbone, head))
        >>> ids = np.array([[2, 5, 0, 0]], "int32")
        >>> run = tf.function(lambda ids: decoder.fused_graph(
        ...     ids, 2, ids != 0, make_sampler("greedy")))
        >>> tuple(run(ids).shape)
        (1, 4)
        """
        stop = tuple(stop_token_ids) if stop_token_ids else None
        if windowed is None:
            width = token_ids.shape[1]
            windowed = self.window is not None and (
                width is None or self._windowed(width)
            )
        cache = self._graph_prefill(token_ids, start, encoder_inputs, windowed)
        no_repeat_ngram_size = check_no_repeat_ngram_size(no_repeat_ngram_size)
        return sampler(
            next=self._next(no_repeat_ngram_size, windowed),
            prompt=token_ids,
            cache=cache,
            index=start,
            mask=mask,
            stop_token_ids=stop,
        )

    def _graph_prefill(self, token_ids, start, encoder_inputs, windowed):
        """The cache before the step at ``start``, on tensors."""
        adapter = self.adapter
        tokens = adapter.prefill_tokens(token_ids, start)
        if encoder_inputs is not None:
            return adapter.prefill(tokens, encoder_inputs)
        if hasattr(adapter, "empty_cache"):
            # A state-carrying adapter may have no tokens to prefill.
            return ops.cond(
                ops.shape(tokens)[1] > 0,
                lambda: adapter.prefill(tokens),
                lambda: adapter.empty_cache(ops.shape(tokens)[0]),
            )
        if windowed:
            first = self.window.start(ops.cast(start, "int32"))
            width = ops.shape(tokens)[1] - first
            tokens = ops.slice(
                tokens, [0, first], [ops.shape(tokens)[0], width]
            )
            return adapter.prefill(tokens, self.window.context)
        return adapter.prefill(tokens, ops.shape(token_ids)[1])

    # ------------------------------------------------------------- loops
    def generate(
        self,
        token_ids,
        start,
        mask,
        sampler,
        decode="fused",
        callbacks=(),
        stop_token_ids=(),
        on_token=None,
        info=None,
        encoder_inputs=None,
        no_repeat_ngram_size=0,
        jit_compile="auto",
        chunk_size=1,
    ):
        """Decode; ``encoder_inputs`` (encoder-decoder models only) are
        the encoder's token ids, passed to the adapter's ``prefill`` and,
        on the uncached path, to ``uncached_logits``.
        ``no_repeat_ngram_size`` (0: off) bans repeated n-grams (see
        ``ban_repeated_ngrams``); the prompt counts as context.
        ``jit_compile`` (``"auto"``, True, False): XLA for the fused loop
        and the stepwise cycles (see the module docstring); the uncached
        path ignores it. ``chunk_size`` (stepwise only): steps per cycle
        (1: one step per cycle, kind ``"step"``; k > 1: up to k steps in
        one compiled call, kind ``"chunk"``; ``"auto"``: chunks sized by
        ``ChunkSizer`` so that the fixed cost of a call stays about 5% of
        each). A token array wider than a
        Transformer's positions decodes over the sliding context window
        (``nlptoolkit.decoding.window``) on every path."""
        check_decode(decode, sampler)
        check_jit_compile(jit_compile)
        check_chunk_size(chunk_size, decode)
        no_repeat_ngram_size = check_no_repeat_ngram_size(no_repeat_ngram_size)
        callbacks = list(callbacks or [])
        if encoder_inputs is not None:
            encoder_inputs = ops.convert_to_tensor(
                np.asarray(encoder_inputs, dtype="int32")
            )
        token_ids = np.asarray(token_ids, dtype="int32")
        mask = np.asarray(mask, dtype=bool)
        batch_size, length = token_ids.shape
        windowed = self._windowed(length)
        key, functions = self._functions(
            sampler, no_repeat_ngram_size, windowed
        )
        # A seeded sampler starts from its seed on every call (same seed,
        # same text); an unseeded one carries on with its random stream.
        if getattr(functions["sampler"], "seed", None) is not None:
            reset_seed(functions["sampler"], self._seed_states[key])
        logs = {
            "batch_size": int(batch_size),
            "prompt_length": int(start),
            "max_length": int(length),
            "backbone": self.adapter.kind,
            "decode": decode,
            "label": None,
            **(info or {}),
        }
        _call_hooks(callbacks, "on_decode_begin", dict(logs))
        run = _Run(
            functions,
            key,
            token_ids,
            start,
            mask,
            stop_token_ids,
            encoder_inputs,
            jit_compile,
            windowed,
        )
        if decode == "fused":
            traces_before = self.traces
            output, compiled = self._run_fused(run)
            output = ops.convert_to_numpy(output)
            generated = count_generated(output, mask, stop_token_ids)
            _call_hooks(
                callbacks,
                "on_decode_end",
                {
                    "tokens_generated": generated,
                    "warmup": compiled or self.traces != traces_before,
                },
            )
            return output
        if decode == "stepwise":
            advance = self._stepwise_advance(run)
        else:
            advance = self._uncached_advance(run)
        output = self._run_cycles(
            advance,
            run,
            callbacks,
            on_token,
            chunk_size,
            reprefill=windowed and decode == "stepwise",
        )
        generated = count_generated(output, mask, stop_token_ids)
        _call_hooks(callbacks, "on_decode_end", {"tokens_generated": generated})
        return output

    def _run_cycles(
        self, advance, run, callbacks, on_token, chunk_size=1, reprefill=False
    ):
        """The Python loop shared by stepwise and uncached decoding.

        Each cycle is the prefill (prompt in, first token out), a
        re-prefill (``reprefill``: the window slid; its first token out),
        one step (``chunk_size`` 1) or a chunk of up to ``chunk_size``
        steps (``"auto"``: sized by ``ChunkSizer``, its figures kept per
        settings and shapes) that ends before the window's next slide.
        ``advance(index, steps, first)`` computes the tokens at ``index``
        .. ``index + steps - 1`` (fewer once every row has stopped) and
        returns ``(new_tokens, warmup)``, ``new_tokens`` a numpy array
        ``(batch, steps run)`` already on the host.
        """
        token_ids, start = run.token_ids, run.start
        batch_size, length = token_ids.shape
        done = np.zeros(batch_size, dtype=bool)
        stop = np.asarray(list(run.stop_token_ids), dtype="int32")
        generating = ~run.mask
        window = self.window
        sizer = None
        if chunk_size == "auto":
            memo = (run.key,) + run.shapes
            sizer = ChunkSizer(self._chunk_costs.setdefault(memo, {}))
        pending_warmup = False
        index, step = start, 0
        while index < length:
            if sizer is not None and index > start and sizer.needs_probe():
                # Once per settings and shapes: the cost of a call that
                # runs no step (dispatch, the cache in and out).
                pending_warmup = sizer.probe(
                    functools.partial(advance, index, 0, False)
                )
            if index == start:
                kind, steps = "prefill", 1
                _call_hooks(
                    callbacks,
                    "on_prefill_begin",
                    {"position": index, "batch_size": batch_size},
                )
            else:
                steps = sizer.steps() if sizer else chunk_size
                steps = min(steps, length - index)
                kind = "step" if chunk_size == 1 else "chunk"
                if reprefill and window.slides_at(index):
                    kind, steps = "reprefill", 1
                elif reprefill:
                    steps = min(steps, window.next_slide(index) - index)
                _call_hooks(
                    callbacks,
                    "on_decode_step_begin",
                    step,
                    {"position": index, "batch_size": batch_size, "kind": kind},
                )
            began = time.perf_counter()
            new_tokens, warmup = advance(index, steps, index == start)
            ran = new_tokens.shape[1]
            # The cycle's own bookkeeping (store, stop check) is part of
            # it, so the clock's cycles add up to the call's wall time.
            token_ids[:, index : index + ran] = new_tokens
            if stop.size:
                stopped = np.isin(new_tokens, stop)
                stopped &= generating[:, index : index + ran]
                done |= stopped.any(axis=1)
            if sizer is not None and kind == "chunk":
                sizer.record(ran, time.perf_counter() - began, warmup)
            if kind != "prefill":
                warmup, pending_warmup = warmup or pending_warmup, False
            logs = {
                "position": int(index),
                "batch_size": int(batch_size),
                "tokens": int(batch_size * ran),
                "warmup": bool(warmup),
                "kind": kind,
                "span": int(ran),
            }
            if kind == "prefill":
                _call_hooks(callbacks, "on_prefill_end", logs)
            else:
                _call_hooks(callbacks, "on_decode_step_end", step, logs)
            if on_token is not None:
                for offset in range(ran):
                    on_token(
                        step + offset, new_tokens[:, offset], index + offset
                    )
            index += ran
            step += ran
            if ran < steps or (stop.size and done.all()):
                break
        return token_ids

    def _compiled_call(
        self, functions, name, key, jit_compile, args, shape, plain=None
    ):
        """``functions[name]`` on ``args``: under XLA where ``_use_jit``
        says so (where XLA fails to compile it, ``_xla_failed`` records
        why and the call runs without), else ``plain()`` (None: a plain
        compiled ``functions[name]`` on ``args``). Returns ``(output,
        warmup)``; ``warmup`` is True when the call traced, or compiled
        XLA for a new ``shape``.
        """
        traces_before = self.traces
        if self._use_jit(jit_compile, key):
            import tensorflow as tf

            jitted = f"{name}_jit"
            if jitted not in functions:
                functions[jitted] = _compile(
                    functions[f"{name}_python"], jit_compile=True
                )
            try:
                output = self._dispatch(functions[jitted], args, (name, key))
            except tf.errors.OpError as error:
                self._xla_failed(error, key, jit_compile)
                return self._compiled_call(
                    functions, name, key, jit_compile, args, shape, plain
                )
            seen = (name, key, shape)
            compiled = seen not in self._jit_shapes
            self._jit_shapes.add(seen)
            return output, compiled or self.traces != traces_before
        if plain is not None:
            return plain(), self.traces != traces_before
        if name not in functions:
            functions[name] = _compile(functions[f"{name}_python"])
        output = self._dispatch(functions[name], args, (name, key, "plain"))
        return output, self.traces != traces_before

    def _xla_failed(self, error, key, jit_compile):
        """Settings ``key`` run without XLA from now on, as XLA could not
        compile them (``error``); with ``jit_compile=True`` the error is
        raised instead."""
        if jit_compile is True:
            raise error
        message = str(error).strip().splitlines()
        reason = (
            f"XLA could not compile it ({type(error).__name__}: "
            f"{message[0] if message else ''})"
        )
        self._jit_failed[key] = reason
        self._jit_logged.add(reason)
        logger.warning(
            "Decoding runs without XLA for these sampler settings from now "
            "on: %s. Pass jit_compile=False to skip the attempt.",
            reason,
        )

    def _dispatch(self, function, args, key):
        """``function(*args)``, through its concrete function for the
        arguments' shapes where TensorFlow offers one.

        Calling a ``tf.function`` matches the arguments against its traced
        signatures on every call, which costs several times a cheap
        decoding step (a small LSTM's at batch 1), so a clocked cycle of
        one step paid more for the dispatch than for the step. The
        concrete function traced for these shapes
        (``get_concrete_function``, once) runs its graph directly, the
        XLA launch included. Both costs: BENCHMARKS.md, "Inference
        clock" > "The clocked path against fused" (the zero-step cycle
        table; ``benchmarks/clock.py``, ``fused_vs_clocked``).
        """
        if keras.backend.backend() != "tensorflow":
            return function(*args)
        import tensorflow as tf

        flat = [value for value in tf.nest.flatten(args) if tf.is_tensor(value)]
        # The tensors' types and the Python values (stop ids, None), which
        # the concrete function was traced with as constants.
        signature = key + (
            repr(
                tf.nest.map_structure(
                    lambda v: (
                        (v.dtype.name, tuple(v.shape)) if tf.is_tensor(v) else v
                    ),
                    args,
                )
            ),
        )
        call = self._concrete.get(signature)
        if call is None:
            call = _flat_caller(function, args, flat)
            self._concrete[signature] = call
        if call is _POLYMORPHIC:
            return function(*args)
        return call(flat)

    def _stepwise_advance(self, run):
        """``advance(index, steps, first)`` for the cached path: the first
        cycle prefills and takes one step in one compiled call; each
        later one runs ``steps`` steps of the sampler's loop in one
        compiled call (a ``while_loop`` whose bounds are tensors, so a
        new position or length neither retraces nor recompiles)."""
        functions, key, jit_compile = run.functions, run.key, run.jit_compile
        token_ids, start, encoder_inputs = (
            run.token_ids,
            run.start,
            run.encoder_inputs,
        )
        base = run.shapes
        stop = base[1]
        mask_tensor = ops.convert_to_tensor(run.mask)
        state = {}

        def advance(index, steps, first):
            warmup = False
            if first and encoder_inputs is not None:
                # Encoder-decoder: the encoder runs in the host-side
                # prefill (its adapter wants `start` as a Python int),
                # then the first step is a chunk of one.
                traces_before = self.traces
                state["tokens"] = ops.convert_to_tensor(token_ids)
                state["cache"] = self._prefill_cache(
                    token_ids, start, encoder_inputs
                )
                warmup = self.traces != traces_before
                first = False
            if first:
                (tokens, cache, reached), warmup = self._compiled_call(
                    functions,
                    "first",
                    key,
                    jit_compile,
                    (
                        ops.convert_to_tensor(token_ids),
                        ops.convert_to_tensor(start, "int32"),
                        mask_tensor,
                        stop,
                        encoder_inputs,
                    ),
                    base + (int(start),),
                )
            else:
                (tokens, cache, reached), chunk_warmup = self._compiled_call(
                    functions,
                    "chunk",
                    key,
                    jit_compile,
                    (
                        state["tokens"],
                        state["cache"],
                        ops.convert_to_tensor(index, "int32"),
                        ops.convert_to_tensor(steps, "int32"),
                        mask_tensor,
                        stop,
                    ),
                    base,
                )
                warmup = warmup or chunk_warmup
            state["tokens"], state["cache"] = tokens, cache
            reached = int(ops.convert_to_numpy(reached))
            host = ops.convert_to_numpy(tokens)
            return host[:, index:reached], warmup

        return advance

    def _uncached_advance(self, run):
        """``advance(index, steps, first)`` for the reference path: the
        whole prefix (the window's tokens, when ``windowed``) through the
        model at every step, one step per cycle."""
        uncached = run.functions["uncached"]
        token_ids, encoder_inputs = run.token_ids, run.encoder_inputs
        windowed = run.windowed
        mask_tensor = ops.convert_to_tensor(run.mask)

        def advance(index, steps, first):
            del steps, first
            traces_before = self.traces
            begin = self.window.start(int(index)) if windowed else 0
            new = uncached(
                ops.convert_to_tensor(token_ids[:, begin:index]),
                ops.convert_to_tensor(token_ids),
                ops.convert_to_tensor(index, "int32"),
                mask_tensor,
                *(() if encoder_inputs is None else (encoder_inputs,)),
            )
            new = ops.convert_to_numpy(new)[:, None]
            return new, self.traces != traces_before

        return advance


def count_generated(token_ids, mask, stop_token_ids=()):
    """New (non-prompt) tokens per batch, each row up to its first stop."""
    total = 0
    stop = set(int(t) for t in stop_token_ids)
    for row, row_mask in zip(token_ids, mask, strict=True):
        new = row[~row_mask]
        count = len(new)
        for position, token in enumerate(new.tolist()):
            if token in stop:
                count = position + 1
                break
        total += count
    return int(total)
