"""Generation speed: nlptoolkit's Transformer against keras-hub's GPT-2.

Both models have the same size (4 layers, 4 heads, 128 wide, feed-forward
512, the char vocabulary of Tiny Shakespeare) and decode greedily from the
same 8-token prompts ([BOS] + 7 characters) to 128 new tokens, at batch 1
and 32, on the CPU:

- `gpt2`: `keras_hub.models.GPT2CausalLM` with random weights and no
  preprocessor, `generate({"token_ids", "padding_mask"},
  stop_token_ids=None)` on token ids padded to prompt + 128 (keras-hub's
  compiled prefill + `while_loop`), as keras-hub runs it by default: on a
  CPU-only machine Keras resolves `jit_compile="auto"` to False (and it
  refuses XLA once TF op determinism is on, which the seeded
  TextGenerator turns on).
- `gpt2_xla`: the same model and call with its generate function
  compiled by `tf.function(generate_step, jit_compile=True)` (set
  directly, past Keras' refusal): GPT-2 with XLA, for a like-for-like
  comparison with nlptoolkit's XLA loop.
- `fused`: `nlptoolkit.TextGenerator.generate(prompts, decode="fused")`,
  strings in and out (tokenising, the [EOS] stop check and detokenising
  included); its default `jit_compile="auto"` runs prefill and loop
  under XLA (one compiled function).
- `fused_nojit`: the same with `jit_compile=False` (the plain compiled
  `while_loop`, as before XLA became the default).
- `stepwise`: the same with `decode="stepwise"` (one compiled step per
  token, called from Python).
- `fused_ids`: the TextGenerator's `decoder.generate` on the same token ids
  as GPT-2, no stop ids: the decode loop alone.

The TextGenerator is fitted for a couple of seconds (it builds its model
and vocabulary in `fit`); speed does not depend on the weights. The
variants run alternated in one process (the order rotates every round),
warm-up calls excluded (two per variant; the first is reported as
`first_call_s`), and each figure is the median of the repeats.

Run `python benchmarks/generation_speed.py` (about 3 minutes on 2 cores)
or `python benchmarks/generation_speed.py --quick`.
"""

import logging
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.generation_speed")

PROMPT_CHARS = 7
VARIANTS = ("gpt2", "gpt2_xla", "fused", "fused_nojit", "stepwise", "fused_ids")
API = {
    "gpt2": "keras_hub GPT2CausalLM.generate (token ids, stop_token_ids=None)",
    "gpt2_xla": "the same, generate_step under tf.function(jit_compile=True)",
    "fused": "TextGenerator.generate(decode='fused') (strings; XLA: auto)",
    "fused_nojit": (
        "TextGenerator.generate(decode='fused', jit_compile=False) (strings)"
    ),
    "stepwise": "TextGenerator.generate(decode='stepwise') (strings)",
    "fused_ids": "TextGenerator.decoder.generate(decode='fused') (token ids)",
}
FULL = {"new_tokens": 128, "repeats": 7, "fit_seconds": 2.0}
QUICK = {"new_tokens": 64, "repeats": 3, "fit_seconds": 1.0}


def parse_args(argv):
    parser = _common.benchmark_parser(__doc__, "64 new tokens, 3 repeats")
    parser.add_argument("--hidden-dim", type=int, default=128)
    parser.add_argument("--intermediate-dim", type=int, default=512)
    parser.add_argument("--num-layers", type=int, default=4)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--batch-sizes", default="1,32")
    parser.add_argument("--new-tokens", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--fit-seconds", type=float)
    parser.add_argument(
        "--corpus-chars",
        type=int,
        default=100_000,
        help="characters of Tiny Shakespeare (train) to fit on; 0 = all",
    )
    args = parser.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    for key in settings:
        value = getattr(args, key)
        if value is not None:
            settings[key] = value
    settings["batch_sizes"] = [int(v) for v in args.batch_sizes.split(",")]
    settings["prompt_tokens"] = PROMPT_CHARS + 1
    settings["sequence_length"] = max(
        256, settings["prompt_tokens"] + settings["new_tokens"]
    )
    return args, settings


def main(argv=None):
    args, settings = parse_args(argv)
    _common.setup_environment()
    _common.set_threads(args.threads)
    started = time.perf_counter()
    command = _common.command_line(
        __file__, sys.argv[1:] if argv is None else argv
    )

    import keras
    import keras_hub
    import numpy as np
    import tensorflow as tf

    from nlptoolkit.preprocessing import BOS_ID

    seed = args.seed
    new_tokens = settings["new_tokens"]
    corpus = _common.load_corpus(args.corpus_chars or None)
    sizes = {
        "hidden_dim": args.hidden_dim,
        "intermediate_dim": args.intermediate_dim,
        "num_layers": args.num_layers,
        "num_heads": args.num_heads,
    }
    generator, model_info = _common.build_generator(
        "transformer",
        corpus,
        settings["fit_seconds"],
        seed,
        sequence_length=settings["sequence_length"],
        **sizes,
    )
    vocabulary_size = model_info["vocabulary_size"]

    keras.utils.set_random_seed(seed)
    gpt2_backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=args.num_layers,
        num_heads=args.num_heads,
        hidden_dim=args.hidden_dim,
        intermediate_dim=args.intermediate_dim,
        dropout=0.0,
        max_sequence_length=settings["sequence_length"],
    )
    gpt2 = keras_hub.models.GPT2CausalLM(
        backbone=gpt2_backbone, preprocessor=None
    )
    gpt2.compile(sampler=keras_hub.samplers.GreedySampler())
    gpt2_xla = keras_hub.models.GPT2CausalLM(
        backbone=gpt2_backbone, preprocessor=None
    )
    gpt2_xla.compile(sampler=keras_hub.samplers.GreedySampler())
    gpt2_xla.generate_function = tf.function(
        gpt2_xla.generate_step, jit_compile=True
    )
    gpt2_info = {
        "model": "keras_hub.models.GPT2CausalLM",
        "weights": "random (keras.utils.set_random_seed(seed))",
        "vocabulary_size": vocabulary_size,
        "parameters": int(gpt2.count_params()),
        "max_sequence_length": settings["sequence_length"],
        "jit_compile": bool(gpt2.jit_compile),
        **sizes,
    }
    logger.info("built GPT-2: %s", gpt2_info)

    sampler = keras_hub.samplers.GreedySampler()
    inputs = {}
    for batch in settings["batch_sizes"]:
        prompts = _common.make_prompts(corpus, batch, PROMPT_CHARS, seed + 1)
        rows = generator.tokenizer.tokenize_ragged(prompts).to_list()
        start = PROMPT_CHARS + 1
        if any(len(row) != PROMPT_CHARS for row in rows):
            raise RuntimeError("Every prompt must be 7 tokens long.")
        total = start + new_tokens
        ids = np.zeros((batch, total), dtype="int32")
        ids[:, 0] = BOS_ID
        ids[:, 1:start] = np.asarray(rows, dtype="int32")
        mask = np.zeros((batch, total), dtype=bool)
        mask[:, :start] = True
        inputs[batch] = (prompts, ids, mask, start)

    def run(variant, batch):
        """Runs one variant; returns (seconds, new tokens, output)."""
        prompts, ids, mask, start = inputs[batch]
        begin = time.perf_counter()
        if variant in ("gpt2", "gpt2_xla"):
            model = gpt2 if variant == "gpt2" else gpt2_xla
            out = model.generate(
                {"token_ids": ids, "padding_mask": mask},
                stop_token_ids=None,
            )
            seconds = time.perf_counter() - begin
            produced = int(out["padding_mask"].sum()) - int(mask.sum())
            out = out["token_ids"]
        elif variant == "fused_ids":
            out = generator.decoder.generate(
                ids, start, mask, sampler, decode="fused", stop_token_ids=()
            )
            seconds = time.perf_counter() - begin
            produced = int(np.count_nonzero(out[:, start:]))
        else:
            texts = generator.generate(
                prompts,
                max_length=new_tokens,
                sampler=sampler,
                decode="stepwise" if variant == "stepwise" else "fused",
                jit_compile=False if variant == "fused_nojit" else "auto",
            )
            seconds = time.perf_counter() - begin
            produced = sum(
                len(t) - len(p) for t, p in zip(texts, prompts, strict=True)
            )
            out = texts
        return seconds, produced, out

    results = []
    same_text, same_gpt2 = {}, {}
    for batch in settings["batch_sizes"]:
        first_call = {}
        outputs = {}
        for variant in VARIANTS:  # warm-up: trace / compile, excluded
            first_call[variant], _, outputs[variant] = run(variant, batch)
            run(variant, batch)
        same_text[batch] = (
            outputs["fused"] == outputs["fused_nojit"] == outputs["stepwise"]
        )
        same_gpt2[batch] = bool(
            np.array_equal(outputs["gpt2"], outputs["gpt2_xla"])
        )
        times = {v: [] for v in VARIANTS}
        produced = {v: [] for v in VARIANTS}
        for repeat in range(settings["repeats"]):
            shift = repeat % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                seconds, count, _ = run(variant, batch)
                times[variant].append(seconds)
                produced[variant].append(count)
        expected = batch * new_tokens
        gpt2_tps = expected / _common.median(times["gpt2"])
        gpt2_best = expected / min(times["gpt2"])
        for variant in VARIANTS:
            tps = expected / _common.median(times[variant])
            best = expected / min(times[variant])
            results.append(
                {
                    "batch_size": batch,
                    "variant": variant,
                    "api": API[variant],
                    "new_tokens": new_tokens,
                    "repeats": settings["repeats"],
                    "first_call_s": _common.rounded(first_call[variant], 3),
                    "median_s": _common.rounded(_common.median(times[variant])),
                    "min_s": _common.rounded(min(times[variant])),
                    "tokens_per_second": _common.rounded(tps),
                    "vs_gpt2": _common.rounded(tps / gpt2_tps, 3),
                    "best_tokens_per_second": _common.rounded(best),
                    "best_vs_gpt2": _common.rounded(best / gpt2_best, 3),
                    "complete": all(c == expected for c in produced[variant]),
                }
            )
            logger.info("%s", results[-1])

    ratios = []
    for batch in settings["batch_sizes"]:
        by_variant = {
            r["variant"]: r for r in results if r["batch_size"] == batch
        }
        ratios.append(
            {
                "batch_size": batch,
                "gpt2_tokens_per_second": by_variant["gpt2"][
                    "tokens_per_second"
                ],
                "fused_tokens_per_second": by_variant["fused"][
                    "tokens_per_second"
                ],
                "fused_over_gpt2": by_variant["fused"]["vs_gpt2"],
                "fused_over_gpt2_best": by_variant["fused"]["best_vs_gpt2"],
                "fused_over_gpt2_xla": _common.rounded(
                    by_variant["fused"]["tokens_per_second"]
                    / by_variant["gpt2_xla"]["tokens_per_second"],
                    3,
                ),
                "fused_nojit_over_gpt2": by_variant["fused_nojit"]["vs_gpt2"],
                "fused_first_call_s": by_variant["fused"]["first_call_s"],
                "fused_nojit_first_call_s": by_variant["fused_nojit"][
                    "first_call_s"
                ],
                "fused_ids_over_gpt2": by_variant["fused_ids"]["vs_gpt2"],
                "stepwise_over_gpt2": by_variant["stepwise"]["vs_gpt2"],
                "goal_fused_ge_1": by_variant["fused"]["vs_gpt2"] >= 1.0,
                "greedy_text_identical": same_text[batch],
                "gpt2_xla_tokens_identical": same_gpt2[batch],
            }
        )

    info = _common.manifest(
        seed,
        args.quick,
        models=[model_info, gpt2_info],
        settings=settings,
        weights=(
            "nlptoolkit: fitted for about "
            f"{settings['fit_seconds']} s (near-random); GPT-2: random"
        ),
    )
    payload = {
        "benchmark": "generation_speed",
        "title": "Generation speed: nlptoolkit Transformer vs GPT2CausalLM",
        "command": command,
        "manifest": _common.finish_manifest(info, started),
        "definitions": {
            "tokens_per_second": (
                "batch x new tokens / median wall seconds of the call"
            ),
            "vs_gpt2": "tokens_per_second / GPT2CausalLM tokens_per_second",
            "best_*": "the same from the fastest repeat (min wall time)",
            "greedy_text_identical": (
                "fused (XLA), fused_nojit and stepwise returned the same "
                "texts on the first call"
            ),
            "gpt2_xla_tokens_identical": (
                "gpt2 and gpt2_xla returned the same token ids"
            ),
            "first_call_s": (
                "wall seconds of the variant's first call at that batch "
                "size: trace + compile + run (XLA compiles per shape, and "
                "takes longer than a plain tf.function trace)"
            ),
        },
        "rows": results,
        "ratios": ratios,
        "notes": [
            "`fused` is TextGenerator's default: `jit_compile='auto'` "
            "compiles the prefill and the fused while_loop with XLA, as one "
            "function (one compile per token-array shape and shortest "
            "prompt; see `first_call_s`). `fused_nojit` is the plain "
            "tf.function prefill + loop it replaced as the default.",
            "`gpt2` is GPT2CausalLM as keras-hub runs it here: Keras "
            "resolves jit_compile='auto' to False on a CPU-only machine "
            "(and under TF op determinism). `gpt2_xla` forces XLA on its "
            "generate function, for a like-for-like comparison.",
            "The 2 cores are shared with other jobs: see the load averages "
            "in the manifest; variants alternate within each round, so "
            "the ratios share the load.",
        ],
    }
    output = pathlib.Path(args.output)
    _common.write_json(output / "generation_speed.json", payload)
    print("\nGeneration speed (tokens/s, median)")
    keys = ["batch_size", "variant", "tokens_per_second", "vs_gpt2", "min_s"]
    print(" | ".join(keys))
    for row in results:
        print(" | ".join(str(row[k]) for k in keys))
    print("\nRatios:", ratios)
    return payload


if __name__ == "__main__":
    main()
