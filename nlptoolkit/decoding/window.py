"""A sliding context window: generation past a Transformer's context.

A Transformer sees at most ``context`` (its ``sequence_length``) tokens.
To generate further, the decoder keeps the last ``keep`` tokens when the
sequence outgrows the context and re-prefills its cache with them; it
then decodes ``context + 1 - keep`` more tokens (the period) before the
window slides again. A re-prefill of ``keep`` tokens every period tokens
amortises the cost, where cropping to the last ``context`` tokens at
every step (as nanoGPT's uncached ``generate`` does) recomputes the whole
window each time.

The token produced at ``index`` reads the tokens ``[start(index),
index)``, with

- ``start(index) = 0`` for ``index <= context``;
- ``start(index) = index - keep - ((index - context - 1) % period)``
  after that.

Each decode path crops the same way: the cached paths re-prefill at
every ``index`` where ``slides_at(index)`` is true (the fused loop and
the beam search inside their compiled loop, the stepwise path as a cycle
of kind ``"reprefill"``); the uncached path feeds ``tokens[:,
start(index):index]`` to the model at every step.
"""

from keras import ops

from nlptoolkit.checks import check_positive_int
from nlptoolkit.validation import Interval
from nlptoolkit.validation import check


class ContextWindow:
    """Where the window over the tokens starts, for each position.

    Args:
        context: the model's maximum positions (``sequence_length``).
        keep: tokens kept when the window slides (default ``context //
            2``); an integer in ``[1, context]``.

    Example:
    >>> from nlptoolkit.decoding.window import ContextWindow
    >>> window = ContextWindow(8, keep=4)
    >>> [window.start(i) for i in (8, 9, 10, 13, 14)]
    [0, 5, 5, 5, 10]
    >>> [i for i in range(1, 20) if window.slides_at(i)]
    [9, 14, 19]
    """

    def __init__(self, context, keep=None):
        context = check_positive_int("context", context)
        half = max(1, context // 2)
        keep = check(
            "keep",
            half if keep is None else keep,
            Interval(int, 1, context),
            hint="It is the number of tokens kept when the context window "
            f"slides, at most the context: use e.g. keep={half}.",
        )
        self.context = context
        self.keep = keep
        self.period = self.context + 1 - self.keep

    def __repr__(self):
        return f"ContextWindow(context={self.context}, keep={self.keep})"

    def needed(self, length):
        """Whether a token array of width ``length`` outgrows the context."""
        return int(length) > self.context

    def start(self, index):
        """First token the step producing ``index`` reads (int or tensor)."""
        if isinstance(index, int):
            if index <= self.context:
                return 0
            return (
                index - self.keep - ((index - self.context - 1) % self.period)
            )
        index = ops.cast(index, "int32")
        slid = (
            index - self.keep - ops.mod(index - self.context - 1, self.period)
        )
        return ops.where(index > self.context, slid, 0)

    def slides_at(self, index):
        """Whether the window slides (a re-prefill) at ``index``."""
        if isinstance(index, int):
            return (
                index > self.context
                and (index - self.context - 1) % self.period == 0
            )
        index = ops.cast(index, "int32")
        return ops.logical_and(
            index > self.context,
            ops.equal(ops.mod(index - self.context - 1, self.period), 0),
        )

    def next_slide(self, index):
        """The first index ``>= index`` at which the window slides."""
        if index <= self.context + 1:
            return self.context + 1
        offset = (index - self.context - 1) % self.period
        return index if offset == 0 else index + self.period - offset
