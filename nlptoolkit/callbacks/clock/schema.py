"""The layout of the clock's cycle records: kinds, columns, tuple fields.

`InferenceClock` stores each cycle as one tuple in `_CYCLE_FIELDS` order
(read with the `_K`, `_RUN`, ... indices); a run's `label`, `backbone` and
`decode` are kept once per run. `COLUMNS` is the order of
`to_dataframe()` and of the CSV / JSON exports.

Example:
>>> from nlptoolkit.callbacks.clock import schema
>>> schema._CYCLE_FIELDS[schema._SEC]
'seconds'
>>> set(schema._CYCLE_FIELDS) < set(schema.COLUMNS)
True
"""

KINDS = ("batch", "prefill", "step", "chunk", "reprefill", "fused")
# Kinds whose rows are decoding steps after the prefill (token arrivals).
_AFTER_PREFILL = ("step", "chunk", "reprefill")
# Kinds whose rows time decoding steps (per step: `seconds / span`).
_STEP_KINDS = ("step", "chunk")

# The fields stored per cycle, in tuple order (the `_K`, `_RUN`, ...
# indices below).
_CYCLE_FIELDS = (
    "kind",
    "run",
    "index",
    "position",
    "batch_size",
    "tokens",
    "seconds",
    "warmup",
    "start",
    "span",
)
_K, _RUN, _IDX, _POS, _BS, _TOK, _SEC, _WARM, _START, _SPAN = range(
    len(_CYCLE_FIELDS)
)
# Column order of `to_dataframe()` and of the CSV / JSON exports: the
# cycle's fields, with `label` (after `run`), `backbone` and `decode` (at
# the end) from the run the cycle belongs to.
COLUMNS = (
    *_CYCLE_FIELDS[:_IDX],
    "label",
    *_CYCLE_FIELDS[_IDX:],
    "backbone",
    "decode",
)
