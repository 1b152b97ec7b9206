"""Pretrained encoder-decoder decoding speed: nlptoolkit's Summarizer on a
BART preset beside keras-hub's own `BartSeq2SeqLM.generate`.

    python benchmarks/pretrained_summarization.py [--quick]

Writes `benchmarks/results/pretrained_summarization.json`. A random BART
(no checkpoint is available offline; the sizes are options) is saved as a
keras-hub preset folder, loaded by `nlptoolkit.Summarizer(folder)` and
fine-tuned for one step (which builds the model); then, side by side in
one process, on the same model (the Summarizer's own keras-hub
`BartSeq2SeqLM`), the same encoder inputs and the same number of new
tokens, greedy:

- `nlptoolkit fused`: `Summarizer.decoder.generate(..., decode="fused")`
  (one compiled loop; XLA where it compiles);
- `nlptoolkit stepwise`: the same with `decode="stepwise"` (one compiled
  call per token, what the inference clock times);
- `keras-hub generate`: `BartSeq2SeqLM.generate` on the packed inputs
  (`preprocessor=None`, greedy sampler, XLA as keras-hub compiles it).

No stop token ends a row early on any arm, so every call produces
`batch_size * new_tokens` tokens. Each arm runs once to warm up (trace
and compile, excluded), then `--repeats` timed calls; the median counts.
The arms are interleaved call by call so that load on the shared machine
hits them alike.
"""

import logging
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _common  # noqa: E402

# The tests' tiny-preset builders (tests/presets.py): the same vocabulary.
sys.path.insert(0, str(_common.REPO_ROOT / "tests"))
from presets import BART_WORDS as WORDS  # noqa: E402
from presets import bart_vocabulary_and_merges  # noqa: E402

logger = logging.getLogger("benchmarks.pretrained_summarization")
NAME = "pretrained_summarization"

DEFINITIONS = {
    "tokens_per_second": "batch_size * new_tokens / median wall seconds of "
    "one call (warm-up call excluded), outputs on the host",
    "vs_keras_hub": "tokens_per_second / keras-hub generate's, same batch, "
    "same run",
    "seconds": "median wall seconds of one call",
    "warmup_seconds": "the first call (traces and compiles)",
}


def write_preset(folder, args):
    import keras
    import keras_hub

    keras.utils.set_random_seed(args.seed)
    vocabulary, merges = bart_vocabulary_and_merges()
    backbone = keras_hub.models.BartBackbone(
        vocabulary_size=len(vocabulary),
        num_layers=args.num_layers,
        num_heads=args.num_heads,
        hidden_dim=args.hidden_dim,
        intermediate_dim=2 * args.hidden_dim,
        max_sequence_length=args.max_positions,
    )
    tokenizer = keras_hub.models.BartTokenizer(
        vocabulary=vocabulary, merges=merges
    )
    backbone.save_to_preset(folder)
    keras_hub.models.BartSeq2SeqLMPreprocessor(
        tokenizer,
        encoder_sequence_length=args.sequence_length,
        decoder_sequence_length=args.new_tokens + 2,
    ).save_to_preset(folder)
    return backbone.count_params()


def documents(count, seed):
    import random

    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=40)) for _ in range(count)]


def arms(summarizer, batch_size, args):
    """``{name: call}``: each call decodes one batch and returns its
    token ids on the host."""
    import keras
    import numpy as np

    from nlptoolkit.decoding import make_sampler

    encoder = summarizer.encode_documents(documents(batch_size, args.seed))
    start_ids, _, pad = summarizer.special_ids
    width = len(start_ids) + args.new_tokens
    ids = np.full((batch_size, width), pad, "int32")
    ids[:, : len(start_ids)] = start_ids
    mask = np.zeros_like(ids, dtype=bool)
    mask[:, : len(start_ids)] = True
    decoder = summarizer.decoder
    sampler = make_sampler("greedy")

    def nlptoolkit_arm(decode):
        def call():
            return decoder.generate(
                ids.copy(),
                len(start_ids),
                mask,
                sampler,
                decode=decode,
                stop_token_ids=(),
                encoder_inputs=encoder,
            )

        return call

    hub = summarizer.model.backbone  # keras-hub's BartSeq2SeqLM
    hub.compile(sampler="greedy")
    inputs = {
        "encoder_token_ids": encoder,
        "encoder_padding_mask": encoder != pad,
        "decoder_token_ids": ids,
        "decoder_padding_mask": mask,
    }

    def keras_hub_arm():
        output = hub.generate(inputs, stop_token_ids=None)
        return keras.ops.convert_to_numpy(output["decoder_token_ids"])

    return {
        "nlptoolkit fused": nlptoolkit_arm("fused"),
        "nlptoolkit stepwise": nlptoolkit_arm("stepwise"),
        "keras-hub generate": keras_hub_arm,
    }


def measure(summarizer, batch_size, args):
    calls = arms(summarizer, batch_size, args)
    warmup, seconds = {}, {name: [] for name in calls}
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        warmup[name] = time.perf_counter() - start
    for _ in range(args.repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            seconds[name].append(time.perf_counter() - start)
    tokens = batch_size * args.new_tokens
    hub_rate = tokens / statistics.median(seconds["keras-hub generate"])
    rows = []
    for name in calls:
        median = statistics.median(seconds[name])
        rows.append(
            {
                "batch_size": batch_size,
                "arm": name,
                "new_tokens": args.new_tokens,
                "encoder_tokens": args.sequence_length,
                "tokens_per_second": round(tokens / median, 1),
                "vs_keras_hub": round(tokens / median / hub_rate, 3),
                "seconds": round(median, 4),
                "warmup_seconds": round(warmup[name], 2),
                "repeats": args.repeats,
            }
        )
        logger.info("%s", rows[-1])
    return rows


def build_parser():
    parser = _common.benchmark_parser(
        __doc__, "batch 1 only, 2 repeats (the smoke test's setting)"
    )
    parser.set_defaults(
        output=str(_common.RESULTS_DIR / f"{NAME}.json"), repeats=None
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--hidden-dim", type=int, default=64)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--max-positions", type=int, default=128)
    return parser


def main(argv=None):
    _common.setup_environment()
    args = build_parser().parse_args(argv)
    if args.quick:
        args.batch_sizes = args.batch_sizes[:1]
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    _common.set_threads(args.threads)
    started = time.perf_counter()
    import nlptoolkit

    with tempfile.TemporaryDirectory() as folder:
        parameters = write_preset(folder, args)
        summarizer = nlptoolkit.Summarizer(
            folder,
            seed=args.seed,
            sequence_length=args.sequence_length,
            summary_length=args.new_tokens + 2,
        )
        texts = documents(4, args.seed)
        summarizer.fit(texts, [t[:20] for t in texts], epochs=1, verbose=0)
    rows = []
    for batch_size in args.batch_sizes:
        rows += measure(summarizer, batch_size, args)
    payload = {
        "benchmark": NAME,
        "title": "Pretrained summarizer decoding: nlptoolkit's fused and "
        "stepwise loops beside keras-hub's BartSeq2SeqLM.generate",
        "command": _common.command_line(
            __file__, argv if argv is not None else sys.argv[1:]
        ),
        "model": {
            "architecture": "BartBackbone (random weights)",
            "num_layers": args.num_layers,
            "hidden_dim": args.hidden_dim,
            "num_heads": args.num_heads,
            "intermediate_dim": 2 * args.hidden_dim,
            "vocabulary_size": summarizer.tokenizer.vocabulary_size,
            "parameters": parameters,
        },
        "rows": rows,
        "definitions": DEFINITIONS,
        "notes": [
            "Greedy, no stop token, the same BartSeq2SeqLM weights and "
            "packed encoder inputs on every arm; arms interleaved call by "
            "call. The machine's cores are shared with other jobs, so "
            "compare the arms within a batch size, not across runs.",
        ],
        "manifest": _common.finish_manifest(
            _common.manifest(args.seed, args.quick), started
        ),
    }
    _common.write_json(args.output, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
