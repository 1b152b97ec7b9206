"""Render `BENCHMARKS.md` from the JSON files in `benchmarks/results/`.

Every figure in `BENCHMARKS.md` comes from a JSON file written by a script
in `benchmarks/`; nothing is typed by hand. A results file has the shape
`{"benchmark": name, "rows": [...], "manifest": {...}, "command": "..."}`
(optionally `"title"`, `"notes"`, `"definitions"`, `"plot"`). `clock`,
`generation_speed` and `pretrained_generation` (among others) get their
own layout; any other benchmark is rendered
as one table of its rows. Files without a `"benchmark"` key are skipped,
and a section is only rendered when its JSON exists.

Run `python benchmarks/render.py` (add `--check` to fail when the file on
disk differs from what the JSON files give).
"""

import argparse
import json
import logging
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.render")

ORDER = (
    "quality",
    "defaults",
    "pretrained",
    "clock",
    "generation_speed",
    "pretrained_generation",
    "overhead",
    "scaling",
)


# ----------------------------------------------------------------------
# Formatting.


def fmt(value):
    """One table cell."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        magnitude = abs(value)
        if magnitude == 0:
            return "0"
        if magnitude >= 1000:
            return f"{value:,.0f}"
        if magnitude >= 100:
            return f"{value:.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        if magnitude >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"))
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(rows, columns=None):
    """A Markdown table; `columns` is a list of keys or (key, header)."""
    if not rows:
        return "_(no rows)_\n"
    if columns is None:
        keys = []
        for row in rows:
            for key in row:
                if key not in keys:
                    keys.append(key)
        columns = keys
    columns = [c if isinstance(c, tuple) else (c, c) for c in columns]
    lines = [
        "| " + " | ".join(header for _, header in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        cells = [fmt(row.get(key)) for key, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def provenance(payload):
    """Command, date, machine and versions of one results file."""
    manifest = payload.get("manifest") or {}
    threads = manifest.get("threads") or {}
    versions = manifest.get("versions") or {}
    lines = []
    if payload.get("command"):
        lines.append(f"- Command: `{payload['command']}`")
    if manifest.get("date"):
        wall = manifest.get("wall_seconds")
        took = f" (took {wall:.0f} s)" if isinstance(wall, (int, float)) else ""
        lines.append(f"- Date: {manifest['date']}{took}")
    machine = [
        manifest.get("cpu_model"),
        _cores(manifest),
        _threads(threads),
        manifest.get("platform"),
    ]
    machine = [m for m in machine if m]
    if machine:
        lines.append("- Machine: " + "; ".join(machine))
    load = _load(manifest)
    if load:
        lines.append(f"- Load average (1 min) at start / end: {load}")
    if versions:
        lines.append(
            "- Versions: "
            + ", ".join(f"{k} {v}" for k, v in versions.items() if v)
            + (f"; Python {manifest['python']}" if "python" in manifest else "")
        )
    if "seed" in manifest:
        lines.append(f"- Seed: {manifest['seed']}")
    if manifest.get("quick"):
        lines.append("- **Quick mode** (reduced settings): re-run in full.")
    if manifest.get("weights"):
        lines.append(f"- Weights: {manifest['weights']}")
    return "\n".join(lines) + "\n"


def _cores(manifest):
    count = manifest.get("cpu_count")
    if count is None:
        return None
    usable = manifest.get("cpus_usable")
    extra = f" ({usable} usable)" if usable not in (None, count) else ""
    gpus = manifest.get("gpus")
    gpu = "" if gpus is None else (f", {gpus} GPU" if gpus else ", no GPU")
    return f"{count} CPUs{extra}{gpu}"


def _threads(threads):
    if not threads:
        return None
    intra = threads.get("tf_intra_op")
    inter = threads.get("tf_inter_op")
    if intra is None and inter is None:
        return None

    def name(n):
        return "default" if n == 0 else str(n)

    return f"TF threads intra {name(intra)} / inter {name(inter)}"


def _load(manifest):
    start = manifest.get("load_average_at_start")
    end = manifest.get("load_average_at_end")
    if not start:
        return None
    text = f"{start[0]:.2f}"
    if end:
        text += f" / {end[0]:.2f}"
    return text


def definitions(payload):
    items = payload.get("definitions") or {}
    if not items:
        return ""
    lines = ["Definitions:", ""]
    lines += [f"- `{key}`: {text}" for key, text in items.items()]
    return "\n".join(lines) + "\n"


def notes(payload):
    value = payload.get("notes")
    if not value:
        return ""
    if isinstance(value, str):
        value = [value]
    return "\n".join(f"- {note}" for note in value) + "\n"


def figure(payload, results_dir, output, alt):
    plots = payload.get("plot")
    if not plots:
        return ""
    if isinstance(plots, str):
        plots = [plots]
    lines = []
    for name in plots:
        path = pathlib.Path(results_dir) / name
        if not path.exists():
            logger.warning("figure %s is missing; not linked", path)
            continue
        relative = os.path.relpath(path, pathlib.Path(output).parent)
        lines.append(f"![{alt}]({pathlib.Path(relative).as_posix()})")
    return "\n\n".join(lines) + ("\n" if lines else "")


# ----------------------------------------------------------------------
# Sections.


def render_clock(payload, results_dir, output):
    rows = payload.get("rows") or []
    positions = [
        key.split("@", 1)[1]
        for key in (rows[0] if rows else {})
        if key.startswith("step_ms@")
    ]
    settings = (payload.get("manifest") or {}).get("settings") or {}
    window = settings.get("window")
    parts = [
        "Step time of every decoding step, recorded by "
        "`nlptoolkit.callbacks.InferenceClock` passed to "
        "`TextGenerator.generate(..., callbacks=[clock])`: greedy decoding "
        "from an 8-token prompt; `stepwise` uses the cache (KV cache for "
        "the Transformer, (h, c) state for the LSTM), `uncached` recomputes "
        "the whole prefix at every step.\n",
        provenance(payload),
        "### Step time (ms) against position\n",
        (
            f"Median over a window of {2 * window + 1} positions centred on "
            "each position (clipped at the ends), pooled over the runs. "
            "`ratio` is the last position's step time over the first's; "
            "`slope` is the clock's Theil-Sen slope (median of pairwise "
            "slopes).\n"
            if window is not None
            else ""
        ),
        table(
            rows,
            [("configuration", "configuration"), ("method", "method")]
            + [("runs", "runs")]
            + [(f"step_ms@{p}", f"@{p}") for p in positions]
            + [
                ("ratio_last_first", "ratio"),
                ("slope_ms_per_position", "slope (ms/pos)"),
            ],
        ),
        figure(payload, results_dir, output, "step time vs position"),
        "### Latency and throughput (InferenceClock.summary)\n",
        table(
            rows,
            [
                ("configuration", "configuration"),
                ("ttft_ms", "TTFT (ms)"),
                ("tpot_ms", "TPOT (ms)"),
                ("itl_p50_ms", "ITL p50 (ms)"),
                ("itl_p99_ms", "ITL p99 (ms)"),
                ("step_mean_ms", "step mean (ms)"),
                ("tokens_per_second", "tokens/s"),
                ("warmup_cycles", "warm-up cycles"),
                ("complete", "all tokens"),
            ],
        ),
    ]
    overhead = payload.get("overhead")
    if overhead:
        blocked = "block_pairs" in overhead[0]
        parts += [
            "### Clock overhead\n",
            (
                "The same stepwise `generate` (one step per cycle: the "
                "most hook calls per token) with and without the clock, "
                "alternated in pairs. `overhead` (the bound, <= 2%) is the "
                "median over blocks of `block` pairs of fastest with / "
                "fastest without - 1 (a burst of load from a neighbour only "
                "slows a run down, so each block's fastest runs are its "
                "least disturbed); `CPU` is the same with the process CPU "
                "time; `paired` the median over the pairs of with / "
                "without - 1; `of medians` compares the two medians. "
                "`hook cost` is the measured cost of the clock's two step "
                "hooks per cycle, times the cycles, over the run: the "
                "overhead without the noise.\n"
                if blocked
                else "The same stepwise `generate` with and without the "
                "clock, alternated in pairs (median over the pairs of "
                "with / without - 1).\n"
            ),
            table(
                overhead,
                [
                    ("configuration", "configuration"),
                    ("new_tokens", "new tokens"),
                    ("pairs", "pairs"),
                    ("block_pairs", "block"),
                    ("median_with_clock_s", "with clock (s)"),
                    ("median_without_clock_s", "without (s)"),
                    ("overhead_pct", "overhead %"),
                    ("cpu_overhead_pct", "CPU %"),
                    ("paired_overhead_pct", "paired %"),
                    ("medians_overhead_pct", "of medians %"),
                    ("hook_us_per_cycle", "hook µs/cycle"),
                    ("hook_cost_pct", "hook cost %"),
                ],
            ),
        ]
    honesty = payload.get("honesty")
    if honesty:
        parts += [
            "### Does the clock account for the time? (honesty)\n",
            "Sum of the run's recorded cycle seconds, and the clock's "
            "start-to-last-token time (E2E), over the wall time of the "
            "`generate` call measured outside it.\n",
            table(
                honesty,
                [
                    ("configuration", "configuration"),
                    ("runs", "runs"),
                    ("median_wall_s", "wall (s)"),
                    ("median_cycle_sum_over_wall", "cycles / wall"),
                    ("min_cycle_sum_over_wall", "min cycles / wall"),
                    ("median_e2e_over_wall", "E2E / wall"),
                    ("median_host_gap_us", "gap between cycles (µs)"),
                ],
            ),
        ]
    host_gap = payload.get("host_gap")
    if host_gap:
        parts += [
            "Host time between two cycles (median, µs) of the stepwise "
            "loop, with the [EOS] stop check `TextGenerator.generate` "
            "always asks for, and through `decoder.generate` on the same "
            "token ids without stop ids:\n",
            table(
                host_gap,
                [
                    ("configuration", "configuration"),
                    ("new_tokens", "new tokens"),
                    ("gap_us_with_stop_ids", "with stop ids (µs)"),
                    ("gap_us_without_stop_ids", "without (µs)"),
                ],
            ),
        ]
    clocked = payload.get("fused_vs_clocked")
    if clocked:
        parts += [
            "### The clocked path against fused\n",
            "Tokens per second of `generate` (wall time, median of "
            "alternated repeats, the clock attached to every call) on the "
            "fused `while_loop`, on the stepwise path in chunks of k "
            "steps per clocked cycle (`chunk_size=k`: one XLA-compiled "
            "`while_loop` per cycle; the clock's rows are chunks and its "
            "per-step figures are derived, `seconds / span`; "
            "`chunk_size='auto'` sizes each chunk from the measured cost "
            "of a call and of a step, `mean k` being the steps it chose), "
            "with a fixed k, and one step per cycle. `greedy same` "
            "compares the texts of all four. TTFT/TPOT/step are the "
            "first chunked variant's clock figures.\n",
            table(
                clocked,
                [
                    ("configuration", "configuration"),
                    ("new_tokens", "new tokens"),
                    ("repeats", "repeats"),
                    ("fused_tokens_per_s", "fused tok/s"),
                    ("chunk_size", "k"),
                    ("chunked_tokens_per_s", "chunks tok/s"),
                    ("chunked_over_fused", "chunks / fused"),
                    ("chunked_over_fused_cpu", "CPU: chunks / fused"),
                    ("chunked_mean_span", "mean k"),
                    ("auto_probe_ms", "auto: probe (ms)"),
                    ("auto_call_ms", "auto: call (ms)"),
                    ("auto_step_ms", "auto: step (ms)"),
                    ("small_chunk_size", "k (fixed)"),
                    ("chunked_small_over_fused", "fixed k / fused"),
                    ("stepwise_over_fused", "k=1 / fused"),
                    ("chunked_ttft_ms", "TTFT (ms)"),
                    ("chunked_tpot_ms", "TPOT (ms)"),
                    ("chunked_step_mean_ms", "step (ms, derived)"),
                    ("greedy_identical", "greedy same"),
                ],
            ),
            "Fixed cost of one cycle: a zero-step cycle called as a "
            "`tf.function` (what every cycle paid before) and through its "
            "concrete function (`Decoder._dispatch`, what it pays now), "
            "median µs:\n",
            table(
                clocked,
                [
                    ("configuration", "configuration"),
                    ("zero_step_call_polymorphic_us", "tf.function (µs)"),
                    ("zero_step_call_concrete_us", "concrete (µs)"),
                ],
            ),
        ]
    past = payload.get("past_context")
    if past:
        parts += [
            "### Past the context window\n",
            '`generate(["ROMEO:"], max_length=N)` at batch 1 on '
            "models with a 64-token context: the Transformer slides its "
            "window (keeps the last 32 tokens, re-prefills the cache with "
            "them), the LSTM carries its state on. Tokens per second "
            "(wall, median of 3; uncached 1) per path; `re-prefills`: the "
            "stepwise run's `reprefill` cycles; `reference`: the fused "
            "text equals a Python loop that feeds the model the cropped "
            "window at every step.\n",
            table(
                past,
                [
                    ("configuration", "configuration"),
                    ("max_length", "new tokens"),
                    ("fused_tokens_per_s", "fused tok/s"),
                    ("chunked_tokens_per_s", "chunks tok/s"),
                    ("stepwise_tokens_per_s", "k=1 tok/s"),
                    ("uncached_tokens_per_s", "uncached tok/s"),
                    ("stepwise_reprefill_cycles", "re-prefills"),
                    ("paths_identical", "paths same"),
                    ("reference_identical", "reference"),
                ],
            ),
        ]
    fused = payload.get("fused_vs_stepwise")
    if fused:
        parts += [
            "### Stepwise against fused\n",
            "Tokens per second of `generate` (wall time, median of "
            "alternated repeats) on the fused `while_loop` and on the "
            "stepwise loop the clock hooks into.\n",
            table(
                fused,
                [
                    ("configuration", "configuration"),
                    ("new_tokens", "new tokens"),
                    ("repeats", "repeats"),
                    ("fused_tokens_per_s", "fused tok/s"),
                    ("stepwise_tokens_per_s", "stepwise tok/s"),
                    ("stepwise_over_fused", "stepwise / fused"),
                    ("stepwise_over_fused_best", "(best runs)"),
                ],
            ),
        ]
    acceptance = payload.get("acceptance")
    if acceptance:
        parts.append("### Checks\n")
        parts.append(
            "\n".join(
                f"- {name}: {'pass' if ok else '**FAIL**'}"
                for name, ok in acceptance.items()
            )
            + "\n"
        )
    parts += [notes(payload), definitions(payload)]
    return parts


def render_generation_speed(payload, results_dir, output):
    rows = payload.get("rows") or []
    parts = [provenance(payload)]
    ratios = payload.get("ratios")
    if ratios:
        parts += [
            "### Ratio to GPT2CausalLM (same size, same inputs)\n",
            table(
                ratios,
                [
                    ("batch_size", "batch"),
                    ("gpt2_tokens_per_second", "GPT-2 tok/s"),
                    ("fused_tokens_per_second", "fused tok/s"),
                    ("fused_over_gpt2", "fused / GPT-2"),
                    ("fused_over_gpt2_best", "fused / GPT-2 (best runs)"),
                    ("fused_ids_over_gpt2", "fused (ids) / GPT-2"),
                    ("stepwise_over_gpt2", "stepwise / GPT-2"),
                    ("fused_nojit_over_gpt2", "fused, no XLA / GPT-2"),
                    ("fused_over_gpt2_xla", "fused / GPT-2 with XLA"),
                    ("fused_first_call_s", "fused first call (s)"),
                    ("fused_nojit_first_call_s", "no-XLA first call (s)"),
                    ("greedy_text_identical", "same greedy text"),
                    ("goal_fused_ge_1", "fused >= 1.0x"),
                ],
            ),
        ]
    parts += [
        "### All variants\n",
        table(
            rows,
            [
                ("batch_size", "batch"),
                ("variant", "variant"),
                ("api", "call"),
                ("new_tokens", "new tokens"),
                ("repeats", "repeats"),
                ("first_call_s", "first call (s)"),
                ("median_s", "median (s)"),
                ("min_s", "min (s)"),
                ("tokens_per_second", "tokens/s"),
                ("vs_gpt2", "vs GPT-2"),
                ("best_vs_gpt2", "vs GPT-2 (best runs)"),
                ("complete", "all tokens"),
            ],
        ),
        notes(payload),
        definitions(payload),
    ]
    return parts


def render_pretrained_generation(payload, results_dir, output):
    """`benchmarks/pretrained_generation.py`: the ratios to keras-hub's
    `CausalLM.generate`, then every variant."""
    return [
        provenance(payload),
        "### Ratio to keras-hub's CausalLM.generate (same preset, same ids)\n",
        table(
            payload.get("ratios") or [],
            [
                ("batch_size", "batch"),
                ("keras_hub_tokens_per_second", "keras-hub tok/s"),
                ("fused_tokens_per_second", "fused tok/s"),
                ("stepwise_tokens_per_second", "stepwise tok/s"),
                ("fused_over_keras_hub", "fused / keras-hub"),
                ("stepwise_over_keras_hub", "stepwise / keras-hub"),
                ("fused_ids_over_keras_hub", "fused (ids) / keras-hub"),
                ("fused_over_keras_hub_xla", "fused / keras-hub with XLA"),
                ("goal_fused_ge_1", "fused >= 1.0x"),
            ],
        ),
        "### All variants\n",
        table(
            payload.get("rows") or [],
            [
                ("batch_size", "batch"),
                ("variant", "variant"),
                ("api", "call"),
                ("first_call_s", "first call (s)"),
                ("median_s", "median (s)"),
                ("tokens_per_second", "tokens/s"),
                ("vs_keras_hub", "vs keras-hub"),
            ],
        ),
        notes(payload),
        definitions(payload),
    ]


def render_generic(payload, results_dir, output):
    return [
        provenance(payload),
        table(payload.get("rows") or []),
        figure(payload, results_dir, output, payload["benchmark"]),
        notes(payload),
        definitions(payload),
    ]


def render_quality(payload, results_dir, output):
    """`benchmarks/quality.py`: one row per recipe in `tasks/`."""
    rows = []
    for row in payload.get("rows") or []:
        arrow = "↑" if row.get("higher_is_better") else "↓"
        quick = " (quick)" if row.get("quick") else ""
        references = "; ".join(
            f"{ref['name']} {fmt(ref['score'])}"
            for ref in row.get("references") or []
        )
        rows.append(
            {
                "task": row.get("task"),
                "dataset": row.get("dataset"),
                "backbone": row.get("backbone"),
                "metric": f"{row.get('metric')} {arrow} ({row.get('split')})",
                "model": f"{fmt(row.get('model'))}{quick}",
                "baseline": f"{row.get('baseline')} "
                f"{fmt(row.get('baseline_score'))}",
                "reference": references or None,
                "train_seconds": row.get("train_seconds"),
                "num_parameters": row.get("num_parameters"),
                "command": f"`{row.get('command')}`"
                + (" (imported run)" if row.get("imported_from") else ""),
            }
        )
    return [
        provenance(payload),
        table(
            rows,
            [
                ("task", "task"),
                ("dataset", "dataset"),
                ("backbone", "backbone"),
                ("metric", "metric"),
                ("model", "model"),
                ("baseline", "baseline"),
                ("reference", "reference"),
                ("train_seconds", "train s"),
                ("num_parameters", "params"),
                ("command", "command"),
            ],
        ),
        decodings_table(payload.get("rows") or []),
        notes(payload),
        definitions(payload),
    ]


def decodings_table(quality_rows):
    """Summarisation rows decoded more than one way (`summarization
    evaluate` on the imported run's model): one line per decoding."""
    rows = [
        {"recipe": row["recipe"], "decoding": name, **scores}
        for row in quality_rows
        for name, scores in (row.get("decodings") or {}).items()
    ]
    if not rows:
        return ""
    return (
        "Decodings of the same summarisation model on the same test rows "
        "(`python -m nlptoolkit.tasks.summarization evaluate --model "
        "RUN/model.keras --sampler ...`; ROUGE F1 %, best of the "
        "references):\n\n"
        + table(
            rows,
            [
                ("recipe", "recipe"),
                ("decoding", "decoding"),
                ("rouge1", "ROUGE-1"),
                ("rouge2", "ROUGE-2"),
                ("rougeL", "ROUGE-L"),
                ("baseline_rougeL", "Lead-3 ROUGE-L"),
                ("decode_seconds", "decode s"),
            ],
        )
    )


def render_overhead(payload, results_dir, output):
    """`benchmarks/overhead.py`: nlptoolkit against plain Keras."""
    rows = payload.get("rows") or []
    target = payload.get("target")
    ratio_rows = [
        {
            **row,
            "range": f"{fmt(row.get('ratio_min'))}–{fmt(row.get('ratio_max'))}",
            "ci": _interval(row.get("ratio_ci95")),
        }
        for row in rows
    ]
    models = (payload.get("manifest") or {}).get("models") or []
    model_rows = [
        {
            **model,
            "traces": "/".join(
                str(v)
                for v in (
                    model.get("train_step_traces_while_measured") or {}
                ).values()
            ),
        }
        for model in models
    ]
    dataset = (payload.get("manifest") or {}).get("dataset") or {}
    data_line = ""
    if dataset:
        data_line = (
            f"- Data: `{dataset.get('name')}` {dataset.get('split')} "
            f"({dataset.get('rows')} rows; file sha256 "
            f"`{str(dataset.get('file_sha256'))[:12]}…`, texts sha256 "
            f"`{str(dataset.get('texts_sha256'))[:12]}…`)\n"
        )
    parts = [
        "A default-size `TextClassifier` (one layer, 128 wide) against "
        "the same architecture written in plain Keras (same layers, sizes, "
        "optimizer, loss, batch size and token ids), alternated in one "
        "process. `ratio` is nlptoolkit's samples/s over plain Keras' "
        "(the median of the per-round ratios; above 1 nlptoolkit is "
        f"faster); the target is >= {target}. `model` rows time the "
        "model-level work (token ids in), `end-to-end` rows the "
        "user-facing verb from raw strings, tokenising included; "
        "`default` is `fit` with its default early stopping (10% held "
        "out and evaluated), `re-traced` what every `fit` after the first "
        "paid before its schedule kept the cycle in a variable.\n",
        provenance(payload) + data_line,
        "### nlptoolkit / plain Keras\n",
        table(
            ratio_rows,
            [
                ("backbone", "backbone"),
                ("verb", "verb"),
                ("level", "level"),
                ("nlptoolkit_samples_per_s", "nlptoolkit samples/s"),
                ("plain_samples_per_s", "plain samples/s"),
                ("ratio", "ratio"),
                ("ci", "95% interval"),
                ("range", "per-round range"),
                ("ratio_of_medians", "of medians"),
                ("ratio_best", "of fastest"),
                ("cpu_ratio", "CPU time"),
                ("rounds", "rounds"),
                ("meets_target", f">= {target}"),
                ("target_within_ci", "interval reaches it"),
            ],
        ),
        "### The two models\n",
        "`same outputs`: the plain model, given the classifier's weights, "
        "returns the same probabilities (max abs difference shown). "
        "`traces`: traces of the nlptoolkit / plain train step while "
        "measured (0 / 0: every measured call reused the compiled step). "
        "`encode`: seconds of `clf.encode(texts)` and its share of "
        "`clf.predict(texts)`.\n",
        table(
            model_rows,
            [
                ("backbone", "backbone"),
                ("parameters", "params"),
                ("sequence_length", "sequence length"),
                ("steps_per_epoch", "steps/epoch"),
                ("same_outputs", "same outputs"),
                ("max_abs_output_diff", "max diff"),
                ("traces", "traces"),
                ("encode_s", "encode (s)"),
                ("encode_share_of_predict", "encode / predict"),
                ("fit_wall_minus_model_s", "fit wall - model.fit (s)"),
            ],
        ),
    ]
    acceptance = payload.get("acceptance")
    if acceptance:
        parts.append("### Checks\n")
        parts.append(
            "\n".join(
                f"- {name}: {'pass' if ok else '**FAIL**'}"
                for name, ok in acceptance.items()
            )
            + "\n"
        )
    parts += [notes(payload), definitions(payload)]
    return parts


def _interval(pair):
    if not pair:
        return None
    return f"{fmt(pair[0])}–{fmt(pair[1])}"


def render_scaling(payload, results_dir, output):
    """`benchmarks/scaling.py`: time against sequence length."""
    rows = payload.get("rows") or []
    backbones = []
    for row in rows:
        if row.get("backbone") not in backbones:
            backbones.append(row.get("backbone"))
    parts = [
        "How one training step, one cached decoding step and one "
        "classifier predict batch grow with the sequence length L, for "
        "an LSTM and a Transformer of the same width, at a fixed batch "
        "(real text, no padding).\n",
        provenance(payload),
        "### Time against sequence length (medians)\n",
        table(
            rows,
            [
                ("backbone", "backbone"),
                ("sequence_length", "L"),
                ("train_lm_step_s", "LM train step (s)"),
                ("train_lm_us_per_token", "µs/token"),
                ("train_clf_step_s", "clf train step (s)"),
                ("train_clf_us_per_token", "µs/token"),
                ("decode_step_ms", "decode step (ms)"),
                ("decode_prefill_ms", "prefill (ms)"),
                ("predict_batch_ms", "predict batch (ms)"),
                ("predict_us_per_token", "µs/token"),
                ("complete", "all steps"),
            ],
        ),
        figure(payload, results_dir, output, "time vs sequence length"),
    ]
    exponents = payload.get("exponents")
    if exponents:
        parts += [
            "### Growth exponent (log-log slope over the lengths)\n",
            "1 means time grows linearly with L, 2 quadratically, 0 flat.\n",
            table(
                exponents,
                [("label", "measurement")] + [(b, b) for b in backbones],
            ),
        ]
    ratios = payload.get("transformer_over_lstm")
    if ratios:
        parts += [
            "### Transformer / LSTM\n",
            table(
                ratios,
                [
                    ("sequence_length", "L"),
                    ("train_lm_step_s", "LM train step"),
                    ("train_clf_step_s", "clf train step"),
                    ("decode_step_ms", "decode step"),
                    ("decode_prefill_ms", "prefill"),
                    ("predict_batch_ms", "predict batch"),
                ],
            ),
        ]
    parts += [notes(payload), definitions(payload)]
    return parts


def render_pretrained(payload, results_dir, output):
    """`benchmarks/pretrained.py`: accuracy rows and the speed pair."""
    parts = [
        table(payload.get("rows") or []),
    ]
    speed = payload.get("speed")
    if speed:
        manifest = payload.get("speed_manifest") or {}
        parts.append(
            "Length bucketing against plain keras-hub, side by side in one "
            f"process: `{payload.get('speed_command')}` "
            f"({manifest.get('date', 'date unknown')}):\n"
        )
        parts.append(table(payload.get("speed_rows") or []))
        parts.append(
            f"- nlptoolkit / keras-hub time: {fmt(speed['speed_ratio'])} "
            f"(target <= 0.5); accuracy gap "
            f"{fmt(speed['accuracy_gap_points'])} points (target within "
            f"0.5); target met: {fmt(speed['speed_target_met'])}; "
            f"accuracy not lower: {fmt(speed.get('accuracy_not_lower'))}; "
            f"CPU-time ratio {fmt(speed.get('cpu_ratio'))}\n"
        )
    for pair in payload.get("other_pairs") or []:
        parts.append(
            f"Another pair, `{pair.get('command')}`: {pair.get('note')}\n"
        )
        parts.append(table(pair.get("rows") or []))
    parts += [notes(payload), definitions(payload)]
    return parts


def render_defaults(payload, results_dir, output):
    """`benchmarks/defaults.py`: each task's no-argument `train` beside
    its baseline, and whether its CLI logged the note before training."""
    rows = []
    for row in payload.get("rows") or []:
        arrow = "↑" if row.get("higher_is_better") else "↓"
        quick = " (quick)" if row.get("quick") else ""
        load = [
            row.get("load_average_start") or [None],
            row.get("load_average_end") or [None],
        ]
        rows.append(
            {
                "task": row.get("task"),
                "command": f"`{row.get('command')}`",
                "dataset": row.get("dataset"),
                "backbone": row.get("backbone"),
                "metric": f"{row.get('metric')} {arrow} ({row.get('split')})",
                "model": f"{fmt(row.get('model'))}{quick}",
                "baseline": f"{row.get('baseline')} "
                f"{fmt(row.get('baseline_score'))}",
                "beats": row.get("beats"),
                "train_seconds": row.get("train_seconds"),
                "wall_seconds": row.get("wall_seconds"),
                "epochs_run": row.get("epochs_run"),
                "load": f"{fmt(load[0][0])} / {fmt(load[1][0])}",
                "notice": bool(row.get("notice")),
                "date": row.get("date"),
            }
        )
    parts = [
        provenance(payload),
        table(
            rows,
            [
                ("task", "task"),
                ("command", "command"),
                ("dataset", "dataset"),
                ("backbone", "backbone"),
                ("metric", "metric"),
                ("model", "model"),
                ("baseline", "baseline"),
                ("beats", "beats baseline"),
                ("train_seconds", "train s"),
                ("wall_seconds", "wall s"),
                ("epochs_run", "epochs"),
                ("load", "load start / end"),
                ("notice", "note before training"),
                ("date", "date"),
            ],
        ),
        notes(payload),
        definitions(payload),
    ]
    return parts


RENDERERS = {
    "defaults": render_defaults,
    "pretrained": render_pretrained,
    "quality": render_quality,
    "clock": render_clock,
    "generation_speed": render_generation_speed,
    "pretrained_generation": render_pretrained_generation,
    "overhead": render_overhead,
    "scaling": render_scaling,
}


def load_results(results_dir):
    payloads = []
    for path in sorted(pathlib.Path(results_dir).glob("*.json")):
        try:
            with open(path, encoding="utf-8") as f:
                payload = json.load(f)
        except (OSError, ValueError) as error:
            logger.warning("skipping %s: %s", path, error)
            continue
        if not isinstance(payload, dict) or "benchmark" not in payload:
            logger.info("skipping %s: no 'benchmark' key", path.name)
            continue
        payload["_file"] = path.name
        payloads.append(payload)

    def key(payload):
        name = payload["benchmark"]
        rank = ORDER.index(name) if name in ORDER else len(ORDER)
        return (rank, str(name), payload["_file"])

    return sorted(payloads, key=key)


def render(results_dir, output):
    payloads = load_results(results_dir)
    relative = os.path.relpath(results_dir, pathlib.Path(output).parent)
    relative = pathlib.Path(relative).as_posix()
    parts = [
        "# Benchmarks\n",
        "Generated by `python benchmarks/render.py` from the JSON files in "
        f"`{relative}/`: no figure here is typed by hand. Each section names "
        "the command that produced it, the date and the machine; re-run "
        "that command, then the renderer, to update it. Ratios are "
        "measured side by side within one run (the machines are shared, "
        "so absolute times drift between runs).\n",
    ]
    if not payloads:
        parts.append("_No results yet: run a script in `benchmarks/`._\n")
    for payload in payloads:
        name = payload["benchmark"]
        title = payload.get("title") or str(name).replace("_", " ").title()
        parts.append(f"## {title}\n")
        parts.append(f"Source: `{relative}/{payload['_file']}`\n")
        renderer = RENDERERS.get(name, render_generic)
        parts += renderer(payload, results_dir, output)
    text = "\n".join(part for part in parts if part)
    return text.rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--results", default=str(_common.RESULTS_DIR))
    parser.add_argument(
        "--output", default=str(_common.REPO_ROOT / "BENCHMARKS.md")
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the output file differs from the rendering",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    text = render(args.results, args.output)
    output = pathlib.Path(args.output)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output} is out of date: run python benchmarks/render.py")
            return 1
        return 0
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    logger.info("wrote %s", output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
