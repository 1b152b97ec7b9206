"""Generation speed: nlptoolkit's Transformer against keras-hub's GPT-2.

Both models have the same size (4 layers, 4 heads, 128 wide, feed-forward
512, the char vocabulary of Tiny Shakespeare) and decode greedily from the
same 8-token prompts ([BOS] + 7 characters) to 128 new tokens, at batch 1
and 32, on the CPU:

- `gpt2`: `keras_hub.models.GPT2CausalLM` with random weights and no
  preprocessor, `generate({"token_ids", "padding_mask"},
  stop_token_ids=None)` on token ids padded to prompt + 128 (keras-hub's
  compiled prefill + `while_loop`).
- `fused`: `nlptoolkit.TextGenerator.generate(prompts, decode="fused")`,
  strings in and out (tokenising, the [EOS] stop check and detokenising
  included).
- `stepwise`: the same with `decode="stepwise"` (one compiled step per
  token, called from Python).
- `fused_ids`: the TextGenerator's `decoder.generate` on the same token ids
  as GPT-2, no stop ids: the decode loop alone.

The TextGenerator is fitted for a couple of seconds (it builds its model
and vocabulary in `fit`); speed does not depend on the weights. The
variants run alternated in one process (the order rotates every round),
warm-up calls excluded, and each figure is the median of the repeats.

Run `python benchmarks/generation_speed.py` (about 2 minutes on 2 cores)
or `python benchmarks/generation_speed.py --quick`.
"""

import argparse
import logging
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

logger = logging.getLogger("benchmarks.generation_speed")

PROMPT_CHARS = 7
VARIANTS = ("gpt2", "fused", "stepwise", "fused_ids")
API = {
    "gpt2": "keras_hub GPT2CausalLM.generate (token ids, stop_token_ids=None)",
    "fused": "TextGenerator.generate(decode='fused') (strings)",
    "stepwise": "TextGenerator.generate(decode='stepwise') (strings)",
    "fused_ids": "TextGenerator.decoder.generate(decode='fused') (token ids)",
}
FULL = {"new_tokens": 128, "repeats": 7, "fit_seconds": 2.0}
QUICK = {"new_tokens": 64, "repeats": 3, "fit_seconds": 1.0}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="64 new tokens, 3 repeats"
    )
    parser.add_argument("--output", default=str(_common.RESULTS_DIR))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow intra/inter-op threads (default 0: TF's default)",
    )
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
        """Runs one variant; returns (seconds, new tokens produced)."""
        prompts, ids, mask, start = inputs[batch]
        begin = time.perf_counter()
        if variant == "gpt2":
            out = gpt2.generate(
                {"token_ids": ids, "padding_mask": mask},
                stop_token_ids=None,
            )
            seconds = time.perf_counter() - begin
            produced = int(out["padding_mask"].sum()) - int(mask.sum())
        elif variant == "fused_ids":
            out = generator.decoder.generate(
                ids, start, mask, sampler, decode="fused", stop_token_ids=()
            )
            seconds = time.perf_counter() - begin
            produced = int(np.count_nonzero(out[:, start:]))
        else:
            texts = generator.generate(
                prompts, max_length=new_tokens, sampler=sampler, decode=variant
            )
            seconds = time.perf_counter() - begin
            produced = sum(
                len(t) - len(p) for t, p in zip(texts, prompts, strict=True)
            )
        return seconds, produced

    results = []
    for batch in settings["batch_sizes"]:
        for variant in VARIANTS:  # warm-up: trace / compile, excluded
            for _ in range(2):
                run(variant, batch)
        times = {v: [] for v in VARIANTS}
        produced = {v: [] for v in VARIANTS}
        for repeat in range(settings["repeats"]):
            shift = repeat % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                seconds, count = run(variant, batch)
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
                "fused_ids_over_gpt2": by_variant["fused_ids"]["vs_gpt2"],
                "stepwise_over_gpt2": by_variant["stepwise"]["vs_gpt2"],
                "goal_fused_ge_1": by_variant["fused"]["vs_gpt2"] >= 1.0,
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
        },
        "rows": results,
        "ratios": ratios,
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
