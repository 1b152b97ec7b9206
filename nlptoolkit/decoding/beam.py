"""Beam search with frozen finished beams and a length penalty.

keras-hub 0.32's ``BeamSampler`` keeps extending a beam after it has
emitted a stop token (adding the log-probabilities of whatever follows)
and picks the final beam by the plain sum of log-probabilities. This
subclass changes three things and keeps the rest (beams flattened into
the batch, the cache gathered along with them, one ``while_loop``):

- A beam that has emitted a stop token is **frozen**: each later step
  appends ``[PAD]`` with log-probability 0, so its score stops changing.
  A finished beam can still lose its slot to higher-scoring live
  candidates; the best finished hypothesis of each row (by the final
  score below) is kept aside so it is never lost, as Hugging Face keeps
  its finished hypotheses.
- The final choice uses Hugging Face's convention:
  ``score = sum_log_probs / generated_length ** length_penalty``, where
  ``generated_length`` counts the new (not prompt) tokens up to and
  including the first stop token. ``length_penalty=0`` ranks by the plain
  sum (short hypotheses win more often); larger values favour longer
  ones; negative values favour shorter ones.
- Prompt positions (``mask`` True, e.g. rows of a batch whose prompt is
  longer than the shortest one) keep their token with log-probability 0
  in every beam, instead of letting the beams compete on a token that is
  then overwritten.
"""

import math

import keras
import keras_hub
from keras import ops
from keras import tree

from nlptoolkit.checks import check_positive_int
from nlptoolkit.preprocessing import PAD_ID
from nlptoolkit.validation import Interval
from nlptoolkit.validation import check

# A large negative log-probability (finite, so sums never give NaN).
NEGATIVE = -1e9


# The rule of ``length_penalty``: any finite number.
LENGTH_PENALTY = Interval(float, None, None)


def check_length_penalty(value, name="length_penalty"):
    """``value`` as a ``float`` if it is a finite number."""
    return check(
        name,
        value,
        LENGTH_PENALTY,
        hint=f"Pass e.g. {name}=1.0 (the default: mean log-probability per "
        "token), 0.0 (plain sum) or 2.0 (favour longer summaries).",
    )


def _any_stop(token_ids, stop_token_ids, where):
    """``(rows, length)``: True where a token is a stop token and
    ``where`` holds."""
    hit = ops.zeros_like(where)
    for token in stop_token_ids:
        hit = ops.logical_or(hit, ops.equal(token_ids, token))
    return ops.logical_and(hit, where)


def _generated_lengths(token_ids, mask, index, stop_token_ids):
    """New tokens per row before ``index``, up to and including the
    first stop token (float32, at least 1)."""
    positions = ops.arange(ops.shape(token_ids)[1], dtype="int32")
    generated = ops.logical_and(
        ops.logical_not(mask), positions[None, :] < index
    )
    counted = generated
    if stop_token_ids:
        stops = ops.cast(
            _any_stop(token_ids, stop_token_ids, generated), "int32"
        )
        # Positions after the first stop token are not counted.
        before = ops.cumsum(stops, axis=1) - stops
        counted = ops.logical_and(generated, ops.equal(before, 0))
    lengths = ops.sum(ops.cast(counted, "float32"), axis=1)
    return ops.maximum(lengths, 1.0)


def _keep_static_shape(x, shape):
    """``x`` with the static ``shape`` it entered the loop with: a traced
    call whose lengths were relaxed to None (a second prompt length
    without XLA) loses the beam dimension in the reshapes, which
    TensorFlow's ``while_loop`` refuses."""
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        return tf.ensure_shape(x, shape)
    return x


@keras.saving.register_keras_serializable(package="nlptoolkit")
class BeamSampler(keras_hub.samplers.BeamSampler):
    """keras-hub's beam search with frozen finished beams and a
    ``length_penalty`` (Hugging Face's convention).

    Args:
        num_beams: beams kept per row (>= 1).
        length_penalty: the exponent of the generated length that divides
            each hypothesis' sum of log-probabilities when the final beam
            is chosen (default 1.0: the mean log-probability per token;
            0.0: the plain sum).
        temperature: divides the logits before the softmax.

    Called as keras-hub samplers are (``next``, ``prompt``, ``cache``,
    ``index``, ``mask``, ``stop_token_ids``); returns the best sequence
    per row. After a stop token a beam holds ``[PAD]`` (0).

    Example (token 4 is the stop token; "4" alone is likelier than
    "2 3 4" in sum, not per token):
    >>> import numpy as np
    >>> from keras import ops
    >>> from nlptoolkit.decoding import BeamSampler
    >>> table = np.log(np.array([  # next-token probabilities by last token
    ...     [0.2, 0.2, 0.2, 0.2, 0.2],
    ...     [0.04, 0.03, 0.4, 0.03, 0.5],  # after 1: 4 (stop) or 2
    ...     [0.025, 0.025, 0.025, 0.9, 0.025],  # after 2: 3
    ...     [0.025, 0.025, 0.025, 0.025, 0.9],  # after 3: 4 (stop)
    ...     [0.2, 0.2, 0.2, 0.2, 0.2]], "float32"))
    >>> def next(prompt, cache, index):
    ...     last = ops.take(prompt, index - 1, axis=1)
    ...     return ops.take(table, last, axis=0), None, cache
    >>> prompt = np.array([[1, 0, 0, 0, 0]], "int32")
    >>> for penalty in (0.0, 1.0):
    ...     sampler = BeamSampler(num_beams=2, length_penalty=penalty)
    ...     out = sampler(next, prompt, index=1, stop_token_ids=(4,))
    ...     print(penalty, ops.convert_to_numpy(out).tolist())
    0.0 [[1, 4, 0, 0, 0]]
    1.0 [[1, 2, 3, 4, 0]]
    """

    def __init__(
        self,
        num_beams=5,
        length_penalty=1.0,
        return_all_beams=False,
        **kwargs,
    ):
        if return_all_beams:
            raise ValueError(
                "nlptoolkit's BeamSampler returns the best beam only. "
                "Received: return_all_beams=True. Use "
                "keras_hub.samplers.BeamSampler for all beams."
            )
        num_beams = check_positive_int("num_beams", num_beams)
        super().__init__(num_beams=num_beams, **kwargs)
        self.length_penalty = check_length_penalty(length_penalty)

    def _scores(self, log_probs, prompt, mask, index, stop_token_ids):
        """``sum_log_probs / generated_length ** length_penalty``."""
        if self.length_penalty == 0:
            return log_probs
        lengths = _generated_lengths(prompt, mask, index, stop_token_ids)
        return log_probs / ops.power(lengths, self.length_penalty)

    def __call__(
        self,
        next,
        prompt,
        cache=None,
        index=0,
        mask=None,
        stop_token_ids=None,
        hidden_states=None,
        model=None,
    ):
        num_beams = self.num_beams
        stop = tuple(stop_token_ids) if stop_token_ids else ()
        batch_size, max_length = ops.shape(prompt)[0], ops.shape(prompt)[1]
        index = ops.cast(index, "int32")

        def create_beams(x):
            return ops.repeat(x, num_beams, axis=0)

        def flatten_beams(x):
            return ops.reshape(x, (-1,) + tuple(ops.shape(x)[2:]))

        def unflatten_beams(x):
            return ops.reshape(x, (-1, num_beams) + tuple(ops.shape(x)[1:]))

        if mask is None:
            mask = ops.zeros_like(prompt, dtype="bool")
        else:
            mask = ops.cast(mask, dtype="bool")
        has_cache = cache is not None
        cache = cache if has_cache else ()
        best_prompt = prompt
        prompt, mask = create_beams(prompt), create_beams(mask)
        cache = tree.map_structure(create_beams, cache)
        # Only the first beam is live at the start; the others are copies
        # that lose every comparison until they are replaced.
        log_probs = ops.array([[0.0] + [NEGATIVE] * (num_beams - 1)], "float32")
        log_probs = flatten_beams(
            ops.broadcast_to(log_probs, (batch_size, num_beams))
        )
        # The best finished hypothesis of each row, and its final score.
        best_score = ops.full((batch_size,), -math.inf, dtype="float32")
        positions = ops.arange(max_length, dtype="int32")

        def finished(prompt, mask, index):
            """Beams that emitted a stop token before ``index``."""
            if not stop:
                return ops.zeros((ops.shape(prompt)[0],), dtype="bool")
            generated = ops.logical_and(
                ops.logical_not(mask), positions[None, :] < index
            )
            return ops.any(_any_stop(prompt, stop, generated), axis=1)

        def cond(prompt, cache, index, mask, log_probs, best, best_score):
            if not stop:
                return ops.convert_to_tensor(True, dtype="bool")
            # Stop once every beam has produced a *new* stop token.
            return ops.logical_not(ops.all(finished(prompt, mask, index)))

        def body(prompt, cache, index, mask, log_probs, best, best_score):
            done = finished(prompt, mask, index)
            logits, _, cache = next(prompt, cache, index)
            vocabulary_size = ops.shape(logits)[-1]
            logits = ops.cast(logits, "float32") / self.temperature
            candidates = ops.maximum(ops.log_softmax(logits, axis=-1), NEGATIVE)
            tokens = ops.arange(vocabulary_size, dtype="int32")[None, :]
            # A finished beam's one continuation: [PAD], log-prob 0.
            frozen = ops.where(ops.equal(tokens, PAD_ID), 0.0, NEGATIVE)
            candidates = ops.where(done[:, None], frozen, candidates)
            # A prompt position keeps its token, log-prob 0, in every beam.
            given = ops.take(prompt, ops.reshape(index, (1,)), axis=1)
            kept = ops.where(
                ops.equal(tokens, ops.cast(given, "int32")), 0.0, NEGATIVE
            )
            at_prompt = ops.take(mask, ops.reshape(index, (1,)), axis=1)
            candidates = ops.where(at_prompt, kept, candidates)

            candidates = candidates + log_probs[:, None]
            candidates = ops.reshape(
                candidates, (-1, num_beams * vocabulary_size)
            )
            next_log_probs, indices = ops.top_k(
                candidates, k=num_beams, sorted=False
            )
            beam_indices = indices // vocabulary_size
            next_token = flatten_beams(indices % vocabulary_size)
            next_log_probs = flatten_beams(next_log_probs)
            if keras.config.backend() == "tensorflow":
                import tensorflow as tf

                next_log_probs = tf.ensure_shape(
                    next_log_probs, log_probs.shape
                )

            def gather_beams(x):
                shape = x.shape
                x = unflatten_beams(x)
                indices = beam_indices
                for axis in range(2, len(x.shape)):
                    indices = ops.expand_dims(indices, axis=axis)
                x = flatten_beams(ops.take_along_axis(x, indices, axis=1))
                return _keep_static_shape(x, shape)

            prompt = gather_beams(prompt)
            if has_cache:
                cache = tree.map_structure(gather_beams, cache)
            next_token = ops.cast(next_token, prompt.dtype)
            next_token = ops.where(mask[:, index], prompt[:, index], next_token)
            prompt = ops.slice_update(prompt, [0, index], next_token[:, None])
            index = index + 1
            if stop:
                # Keep each row's best finished hypothesis.
                scores = self._scores(next_log_probs, prompt, mask, index, stop)
                scores = ops.where(
                    finished(prompt, mask, index), scores, -math.inf
                )
                scores = unflatten_beams(scores)
                top = ops.argmax(scores, axis=1)
                top_score = ops.max(scores, axis=1)
                top_prompt = ops.take_along_axis(
                    unflatten_beams(prompt), top[:, None, None], axis=1
                )[:, 0]
                better = top_score > best_score
                best = _keep_static_shape(
                    ops.where(better[:, None], top_prompt, best), best.shape
                )
                best_score = ops.where(better, top_score, best_score)
            return (
                prompt,
                cache,
                index,
                mask,
                next_log_probs,
                best,
                best_score,
            )

        prompt, _, index, _, log_probs, best, best_score = self.run_loop(
            cond=cond,
            body=body,
            loop_vars=(
                prompt,
                cache,
                index,
                mask,
                log_probs,
                best_prompt,
                best_score,
            ),
            maximum_iterations=(max_length - index),
            model=model,
        )
        scores = unflatten_beams(
            self._scores(log_probs, prompt, mask, index, stop)
        )
        top = ops.argmax(scores, axis=1)
        top_score = ops.max(scores, axis=1)
        top_prompt = ops.take_along_axis(
            unflatten_beams(prompt), top[:, None, None], axis=1
        )[:, 0]
        return ops.where((best_score >= top_score)[:, None], best, top_prompt)

    def get_config(self):
        config = super().get_config()
        config.pop("return_all_beams", None)
        config["length_penalty"] = self.length_penalty
        return config
