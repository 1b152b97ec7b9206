"""Pretrained generation speed: TextGenerator on a GPT-2 preset against
keras-hub's own `CausalLM.generate` on the same preset.

One random GPT-2 preset (4 layers, 4 heads, 128 wide, feed-forward 512,
a byte-level BPE vocabulary of 512 ids, 256 positions) is written with
keras-hub's `save_to_preset` (`tests/presets.py`'s `write_keras_hub_gpt2`)
unless `--folder` names one. Both sides load it and decode greedily from
the same token ids (each prompt: the start token + about 8 BPE tokens) to
128 new tokens, at batch 1 and 32, on the CPU, side by side in one
process:

- `keras_hub`: `keras_hub.models.CausalLM.from_preset(folder,
  preprocessor=None)` (a `GPT2CausalLM`), `generate({"token_ids",
  "padding_mask"}, stop_token_ids=None)` on the ids padded to prompt +
  128, as keras-hub runs it by default (on a CPU-only machine Keras
  resolves `jit_compile="auto"` to no XLA).
- `keras_hub_xla`: the same model and call with `generate_step` under
  `tf.function(jit_compile=True)`: keras-hub with XLA.
- `fused`: `nlptoolkit.TextGenerator(folder).generate(prompts,
  decode="fused")`, strings in and out (tokenising, the end-token stop
  check and detokenising included; XLA: "auto").
- `stepwise`: the same with `decode="stepwise"` (one compiled step per
  token, called from Python: what the clock and streaming hook into).
- `fused_ids`: the TextGenerator's `decoder.generate` on the same ids as
  keras-hub, no stop ids: the decode loop alone.

The end token's (tied) embedding row is set to zeros on the keras-hub
side, so its logit is 0 and greedy decoding never picks it: every call
generates all 128 tokens on every row (keras-hub runs them all with
`stop_token_ids=None`; nlptoolkit would stop where every row had ended).
The TextGenerator is built by a one-step `fit` (the public way to build
it), then given the keras-hub model's weights, so both sides hold the
same model, and greedy decoding gives the same text (checked:
`same_text_as_keras_hub`). Variants alternate in one process (the order
rotates every round), two warm-up calls per variant are excluded (the
first is reported as `first_call_s`), and each figure is the median of
the repeats.

Run `nice python benchmarks/pretrained_generation.py` (a few minutes on
2 cores) or `--quick`.
"""

import logging
import pathlib
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.pretrained_generation")
OUTPUT_NAME = "pretrained_generation.json"

VARIANTS = ("keras_hub", "keras_hub_xla", "fused", "stepwise", "fused_ids")
API = {
    "keras_hub": "keras_hub CausalLM.generate (token ids, stop_token_ids=None)",
    "keras_hub_xla": "the same, generate_step under "
    "tf.function(jit_compile=True)",
    "fused": "TextGenerator.generate(decode='fused') (strings; XLA: auto)",
    "stepwise": "TextGenerator.generate(decode='stepwise') (strings)",
    "fused_ids": "TextGenerator.decoder.generate(decode='fused') (token "
    "ids, no stop)",
}
FULL = {"new_tokens": 128, "repeats": 5, "prompt_words": 4}
QUICK = {"new_tokens": 32, "repeats": 2, "prompt_words": 2}
SIZES = {
    "num_layers": 4,
    "num_heads": 4,
    "hidden_dim": 128,
    "vocabulary_size": 512,
    "max_sequence_length": 256,
}


def parse_args(argv):
    parser = _common.benchmark_parser(__doc__, "32 new tokens, 2 repeats")
    parser.add_argument(
        "--folder",
        default=None,
        help="a GPT-2 preset folder (default: write a random one)",
    )
    parser.add_argument("--batch-sizes", default="1,32")
    parser.add_argument("--new-tokens", type=int)
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    for key in ("new_tokens", "repeats"):
        value = getattr(args, key)
        if value is not None:
            settings[key] = value
    settings["batch_sizes"] = [int(v) for v in args.batch_sizes.split(",")]
    return args, settings


def write_preset(folder, seed):
    """The random GPT-2 preset of ``SIZES`` (``tests/presets.py``)."""
    sys.path.insert(0, str(_common.REPO_ROOT / "tests"))
    from presets import write_keras_hub_gpt2

    return write_keras_hub_gpt2(folder, seed=seed, **SIZES)


def make_prompts(vocabulary, batch_size, words, seed):
    """``batch_size`` prompts of ``words`` random words of 2-4 letters."""
    import numpy as np

    rng = np.random.default_rng(seed)
    letters = [t for t in vocabulary if len(t) == 1 and t.isalpha()]
    return [
        " ".join(
            "".join(rng.choice(letters, size=rng.integers(2, 5)))
            for _ in range(words)
        )
        for _ in range(batch_size)
    ]


def main(argv=None):
    args, settings = parse_args(argv)
    _common.setup_environment()
    _common.set_threads(args.threads)
    started = time.perf_counter()
    command = _common.command_line(
        __file__, sys.argv[1:] if argv is None else argv
    )

    import keras_hub
    import numpy as np
    import tensorflow as tf

    import nlptoolkit

    seed = args.seed
    new_tokens = settings["new_tokens"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or write_preset(pathlib.Path(tmp) / "gpt2", seed)
        generator = nlptoolkit.TextGenerator(folder, sequence_length=32)
        corpus = "the cat sat on the mat. " * 8
        generator.fit(corpus, epochs=1, batch_size=8, verbose=0)
        end_id = generator.special_ids[1]
        vocabulary = generator.tokenizer.vocabulary
        models = {}
        for variant in ("keras_hub", "keras_hub_xla"):
            model = keras_hub.models.CausalLM.from_preset(
                folder, preprocessor=None
            )
            table = model.backbone.token_embedding.embeddings
            values = np.asarray(table).copy()
            values[end_id] = 0.0  # Never the greedy choice: no early end.
            table.assign(values)
            model.compile(sampler=keras_hub.samplers.GreedySampler())
            models[variant] = model
        hub = models["keras_hub"]
        models["keras_hub_xla"].generate_function = tf.function(
            models["keras_hub_xla"].generate_step, jit_compile=True
        )
        generator.model.backbone.hub_backbone.set_weights(
            hub.backbone.get_weights()
        )
        generator._decoder = None
        model_info = {
            "model": type(hub).__name__,
            "weights": "random (the preset's), shared by both sides",
            "parameters": int(hub.count_params()),
            "keras_hub_jit_compile": bool(hub.jit_compile),
            "intermediate_dim": hub.backbone.intermediate_dim,
            **SIZES,
        }
        logger.info("preset: %s", model_info)

        inputs = {}
        for batch in settings["batch_sizes"]:
            prompts = make_prompts(
                vocabulary, batch, settings["prompt_words"], seed + batch
            )
            ids, lengths = generator._encode_prompts(prompts, new_tokens)
            mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]
            # Every row gets `new_tokens`: pad each to the longest prompt.
            width = int(lengths.max()) + new_tokens
            inputs[batch] = (prompts, ids[:, :width], mask[:, :width], lengths)

        sampler = nlptoolkit.decoding.make_sampler("greedy")

        def run(variant, batch):
            """One call: (seconds, new tokens, new token ids per row)."""
            prompts, ids, mask, lengths = inputs[batch]
            begin = time.perf_counter()
            if variant.startswith("keras_hub"):
                out = models[variant].generate(
                    {"token_ids": ids, "padding_mask": mask},
                    stop_token_ids=None,
                )
                seconds = time.perf_counter() - begin
                rows = [
                    row[n : n + new_tokens].tolist()
                    for row, n in zip(out["token_ids"], lengths, strict=True)
                ]
            elif variant == "fused_ids":
                out = generator.decoder.generate(
                    ids,
                    int(lengths.min()),
                    mask,
                    sampler,
                    decode="fused",
                    stop_token_ids=(),
                )
                seconds = time.perf_counter() - begin
                rows = [
                    row[n : n + new_tokens].tolist()
                    for row, n in zip(out, lengths, strict=True)
                ]
            else:
                texts = generator.generate(
                    prompts, max_length=new_tokens, decode=variant
                )
                seconds = time.perf_counter() - begin
                pairs = zip(texts, prompts, strict=True)
                rows = [text[len(prompt) :] for text, prompt in pairs]
            return seconds, rows

        def as_text(rows):
            if rows and isinstance(rows[0], str):
                return rows
            return generator.tokenizer.detokenize(rows)

        results, checks = [], []
        for batch in settings["batch_sizes"]:
            first_call, outputs = {}, {}
            for variant in VARIANTS:  # warm-up: trace / compile, excluded
                first_call[variant], outputs[variant] = run(variant, batch)
                run(variant, batch)
            reference = as_text(outputs["keras_hub"])
            ended = sum(end_id in row for row in outputs["keras_hub"])
            checks.append(
                {
                    "batch_size": batch,
                    "same_text_as_keras_hub": {
                        v: as_text(outputs[v]) == reference
                        for v in VARIANTS[1:]
                    },
                    "rows_reaching_the_end_token": int(ended),
                }
            )
            times = {v: [] for v in VARIANTS}
            for repeat in range(settings["repeats"]):
                shift = repeat % len(VARIANTS)
                for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                    times[variant].append(run(variant, batch)[0])
            tokens = batch * new_tokens
            rates = {v: tokens / _common.median(times[v]) for v in VARIANTS}
            for variant in VARIANTS:
                results.append(
                    {
                        "batch_size": batch,
                        "variant": variant,
                        "api": API[variant],
                        "new_tokens": new_tokens,
                        "repeats": settings["repeats"],
                        "first_call_s": _common.rounded(first_call[variant], 3),
                        "median_s": _common.rounded(
                            _common.median(times[variant])
                        ),
                        "tokens": tokens,
                        "tokens_per_second": _common.rounded(rates[variant]),
                        "vs_keras_hub": _common.rounded(
                            rates[variant] / rates["keras_hub"], 3
                        ),
                        "vs_keras_hub_xla": _common.rounded(
                            rates[variant] / rates["keras_hub_xla"], 3
                        ),
                    }
                )
                logger.info("%s", results[-1])

    ratios = []
    for batch in settings["batch_sizes"]:
        row = {r["variant"]: r for r in results if r["batch_size"] == batch}
        ratios.append(
            {
                "batch_size": batch,
                "keras_hub_tokens_per_second": row["keras_hub"][
                    "tokens_per_second"
                ],
                "fused_tokens_per_second": row["fused"]["tokens_per_second"],
                "stepwise_tokens_per_second": row["stepwise"][
                    "tokens_per_second"
                ],
                "fused_over_keras_hub": row["fused"]["vs_keras_hub"],
                "fused_over_keras_hub_xla": row["fused"]["vs_keras_hub_xla"],
                "stepwise_over_keras_hub": row["stepwise"]["vs_keras_hub"],
                "fused_ids_over_keras_hub": row["fused_ids"]["vs_keras_hub"],
                "goal_fused_ge_1": row["fused"]["vs_keras_hub"] >= 1.0,
            }
        )
    info = _common.manifest(
        seed, args.quick, models=[model_info], settings=settings
    )
    payload = {
        "benchmark": "pretrained_generation",
        "title": "Pretrained generation: TextGenerator vs keras-hub "
        "CausalLM.generate on one GPT-2 preset",
        "command": command,
        "manifest": _common.finish_manifest(info, started),
        "definitions": {
            "tokens_per_second": "batch x new tokens / median wall seconds "
            "of the call (warm-up calls excluded)",
            "vs_keras_hub": "tokens_per_second / keras_hub's",
            "vs_keras_hub_xla": "tokens_per_second / keras_hub_xla's",
            "first_call_s": "wall seconds of the variant's first call at "
            "that batch size: trace + compile + run",
            "same_text_as_keras_hub": "the variant's greedy new tokens, "
            "detokenised, equal keras-hub's",
            "rows_reaching_the_end_token": "rows of keras-hub's output "
            "holding the end token (0: every call ran every step)",
        },
        "rows": results,
        "ratios": ratios,
        "checks": checks,
        "notes": [
            "Both sides hold the same random weights; speed does not "
            "depend on them. The machine's 2 cores may be shared with "
            "other jobs: compare figures within one run only."
        ],
    }
    output = pathlib.Path(args.output)
    if output.suffix != ".json":
        output = output / OUTPUT_NAME
    _common.write_json(output, payload)
    for ratio in ratios:
        logger.info("%s", ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
