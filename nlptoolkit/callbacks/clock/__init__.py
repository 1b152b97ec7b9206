"""The inference clock: time every predict batch and every decoding step.

A *cycle* is one moment of inference that can be counted and timed: one
`predict` batch, the prefill of a generation (prompt in, first token out),
or one decoding step (one new token for every sequence in the batch). A
*run* is one `predict` call or one decode call; its cycles share a `run` id
and a `label`.

`InferenceClock` is a `keras.callbacks.Callback`. It hooks into
`model.predict(x, callbacks=[clock])` through the standard predict hooks,
and into nlptoolkit's decode loops through the decode hooks below. Each hook
reads `time.perf_counter()` and appends one tuple to a list; nothing else
(no pandas, no formatting) happens until export or `summary()`.

Decode hook contract (called by the decode loops on every callback that
defines the method):

- `on_decode_begin(logs)`: `logs = {"batch_size": int, "prompt_length": int,
  "max_length": int, "backbone": str, "decode": "fused" | "stepwise" |
  "uncached", "label": str or None}`. Starts a run; its clock starts here.
- `on_prefill_begin(logs)` / `on_prefill_end(logs)`: around processing the
  prompt and producing the first new token. `logs = {"position": int,
  "batch_size": int, "tokens": int, "warmup": bool}`.
- `on_decode_step_begin(step, logs)` / `on_decode_step_end(step, logs)`:
  around one step, `step` counting from 1, same `logs` keys as prefill,
  `position` being the index of the token produced. `_end` is called only
  after the new token ids are numpy on the host. Optional keys: `kind`
  (default `"step"`): `"chunk"` for a cycle of several steps run in one
  compiled call (`position` is its first token's, `span` the steps it
  ran, `tokens` all of them), `"reprefill"` for the step at which a
  Transformer's sliding context window re-prefilled its cache.
- `on_decode_end(logs)`: `logs = {"tokens_generated": int}` and, optionally,
  `"warmup": bool` for the fused path. A run that recorded no prefill or
  step cycle (the fused `while_loop`) becomes one cycle of kind `"fused"`.

`tokens` and `tokens_generated` count new tokens over the whole batch

The package splits the clock by job: `recorder` (the callback and its
hooks), `schema` (the cycle record layout), `statistics` (the summary
figures), `output` (DataFrame, CSV, JSON, the table) and `plots`. Every
name importable from `nlptoolkit.callbacks.clock` before the split still
is.
"""

import sys
import types

from nlptoolkit.atomic import atomic_write as atomic_write
from nlptoolkit.callbacks.clock import recorder
from nlptoolkit.callbacks.clock.output import _TABLE_ROWS as _TABLE_ROWS
from nlptoolkit.callbacks.clock.output import _format_table as _format_table
from nlptoolkit.callbacks.clock.output import _format_value as _format_value
from nlptoolkit.callbacks.clock.output import _jsonable as _jsonable
from nlptoolkit.callbacks.clock.recorder import _STEP_KEYS as _STEP_KEYS
from nlptoolkit.callbacks.clock.recorder import InferenceClock
from nlptoolkit.callbacks.clock.recorder import (
    _contract_error as _contract_error,
)
from nlptoolkit.callbacks.clock.recorder import _leading_dim as _leading_dim
from nlptoolkit.callbacks.clock.recorder import _to_host as _to_host
from nlptoolkit.callbacks.clock.recorder import logger as logger
from nlptoolkit.callbacks.clock.recorder import time as time
from nlptoolkit.callbacks.clock.schema import _AFTER_PREFILL as _AFTER_PREFILL
from nlptoolkit.callbacks.clock.schema import _BS as _BS
from nlptoolkit.callbacks.clock.schema import _CYCLE_FIELDS as _CYCLE_FIELDS
from nlptoolkit.callbacks.clock.schema import _IDX as _IDX
from nlptoolkit.callbacks.clock.schema import _K as _K
from nlptoolkit.callbacks.clock.schema import _POS as _POS
from nlptoolkit.callbacks.clock.schema import _RUN as _RUN
from nlptoolkit.callbacks.clock.schema import _SEC as _SEC
from nlptoolkit.callbacks.clock.schema import _SPAN as _SPAN
from nlptoolkit.callbacks.clock.schema import _START as _START
from nlptoolkit.callbacks.clock.schema import _STEP_KINDS as _STEP_KINDS
from nlptoolkit.callbacks.clock.schema import _TOK as _TOK
from nlptoolkit.callbacks.clock.schema import _WARM as _WARM
from nlptoolkit.callbacks.clock.schema import COLUMNS
from nlptoolkit.callbacks.clock.schema import KINDS
from nlptoolkit.callbacks.clock.statistics import SUMMARY_KEYS
from nlptoolkit.callbacks.clock.statistics import THEIL_SEN_MAX_POINTS
from nlptoolkit.callbacks.clock.statistics import _mean as _mean
from nlptoolkit.callbacks.clock.statistics import _percentile as _percentile
from nlptoolkit.callbacks.clock.statistics import _py as _py
from nlptoolkit.callbacks.clock.statistics import _summarize as _summarize
from nlptoolkit.callbacks.clock.statistics import theil_sen

# Every other name imported here (`as` itself) is kept importable from
# before the split, private helpers included.
__all__ = [
    "COLUMNS",
    "KINDS",
    "SUMMARY_KEYS",
    "THEIL_SEN_MAX_POINTS",
    "InferenceClock",
    "theil_sen",
]


class _ClockPackage(types.ModuleType):
    """Setting `time` on the package also sets it in `recorder`, where the
    hooks read it: code that fakes the clock's time source through
    `nlptoolkit.callbacks.clock.time` (the tests do) keeps working, and
    the hooks pay nothing for it."""

    def __setattr__(self, name, value):
        if name == "time":
            setattr(recorder, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ClockPackage
del sys, types
