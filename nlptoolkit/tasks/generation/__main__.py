"""``python -m nlptoolkit.tasks.generation [train|evaluate|generate] ...``

With no subcommand, trains a char-level Transformer on Tiny Shakespeare.
``train --backbone HANDLE_OR_DIR`` fine-tunes a pretrained causal LM (a
keras-hub preset name, ``hf://`` handle, or a local keras-hub preset or
Hugging Face folder) with its own tokenizer; of the size options only
``--sequence-length`` (the training window) applies.
"""

import logging
import os
import sys
import time

import pandas as pd

from nlptoolkit import cli

logger = logging.getLogger("nlptoolkit")
DEFAULT_DATASET = "tiny_shakespeare"
SAMPLE_PROMPTS = ["ROMEO:", "First Citizen:\n", "The king"]


def sample_prompts(dataset, texts, count=3, words=3):
    r"""Prompts for the samples ``train`` writes: Shakespeare's names for
    Tiny Shakespeare; otherwise the first ``words`` words of ``count``
    lines spread over ``texts`` (so a PTB model is not asked to go on
    from ``ROMEO:``).

    Example:
    >>> sample_prompts("ptb", ["the market fell today\nshares of ibm rose"])
    ['the market fell', 'shares of ibm']
    """
    if dataset == DEFAULT_DATASET:
        return list(SAMPLE_PROMPTS)
    lines = [line for text in texts for line in text.splitlines()]
    lines = [line for line in lines if line.split()]
    if not lines:
        return list(SAMPLE_PROMPTS)
    picks = lines[:: max(1, len(lines) // count)][:count]
    return [" ".join(line.split()[:words]) for line in picks]


def build_parser():
    parser = cli.ArgumentParser(
        prog="python -m nlptoolkit.tasks.generation",
        description="Train, evaluate and sample a causal language model.",
    )
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train, evaluate, save, sample")
    cli.add_common_train_arguments(train, DEFAULT_DATASET)
    cli.add_recipe_argument(train, "generation")
    train.set_defaults(backbone="transformer")
    train.add_argument("--text-column", default="text")
    train.add_argument(
        "--tokenizer",
        default=None,
        help="char | word | wordpiece (default char; a pretrained "
        "--backbone brings its own)",
    )
    train.add_argument("--sequence-length", type=cli.positive_int, default=64)
    train.add_argument(
        "--vocabulary-size",
        type=cli.positive_int,
        default=None,
        help="largest vocabulary, special tokens included (default: 512 "
        "for chars, 8000 otherwise)",
    )
    train.add_argument("--hidden-dim", type=cli.positive_int, default=None)
    train.add_argument("--num-layers", type=cli.positive_int, default=None)
    train.add_argument(
        "--max-minutes",
        type=cli.positive_float,
        default=5.0,
        help="stop training after this long (default 5)",
    )
    train.add_argument(
        "--ngram-order",
        type=cli.positive_int,
        default=None,
        help="order of the n-gram baseline (default: 7 for chars, 3 for words)",
    )

    evaluate = sub.add_parser("evaluate", help="loss/perplexity of a model")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--dataset", default=DEFAULT_DATASET)
    evaluate.add_argument("--split", default="test")

    generate = sub.add_parser("generate", help="continue prompts")
    generate.add_argument("--model", required=True)
    generate.add_argument(
        "--prompt",
        action="append",
        default=None,
        help="a prompt (repeat for a batch)",
    )
    generate.add_argument("--max-length", type=cli.positive_int, default=200)
    generate.add_argument("--sampler", default="top_k")
    generate.add_argument("--temperature", type=cli.positive_float, default=1.0)
    generate.add_argument("--seed", type=cli.seed_int, default=None)
    generate.add_argument(
        "--num-beams",
        type=cli.positive_int,
        default=4,
        help="beams for --sampler beam (default 4)",
    )
    generate.add_argument(
        "--length-penalty",
        type=cli.length_penalty,
        default=None,
        help="beam search only: the final beam maximises sum of "
        "log-probs / length ** L (default 1.0; 0 = plain sum)",
    )
    generate.add_argument(
        "--no-repeat-ngram-size",
        type=cli.ngram_size,
        default=0,
        metavar="N",
        help="never repeat an N-gram, prompt included (default 0: off)",
    )
    generate.add_argument(
        "--decode", default="fused", help="fused | stepwise | uncached"
    )
    generate.add_argument(
        "--stream",
        action="store_true",
        help="print tokens as they come (stepwise)",
    )
    cli.add_clock_argument(generate)
    return parser


def _corpus(args, split):
    from nlptoolkit import datasets

    if getattr(args, "train_file", None) and split == "train":
        return _read_text_file(args.train_file, args.text_column)
    if getattr(args, "test_file", None) and split != "train":
        return _read_text_file(args.test_file, args.text_column)
    frame = datasets.load(args.dataset, split, max_examples=args.max_examples)
    return frame["text"].tolist()


def _read_text_file(path, column):
    from nlptoolkit import datasets

    if path.endswith((".csv", ".tsv", ".jsonl")):
        return datasets.read_file(path, columns={"text": column})[
            "text"
        ].tolist()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    with open(path, encoding="utf-8") as handle:
        return [handle.read()]


def train_command(args):
    import nlptoolkit
    from nlptoolkit.baselines import NGramLanguageModel
    from nlptoolkit.metrics import plot_history

    # First: a multi-worker strategy must set up TF before anything runs.
    strategy = cli.make_strategy(args.strategy)
    if args.output:  # refused now, not after training
        cli.check_output(args.output, args, own=cli.own_folders(args))
    args.dataset = args.dataset or DEFAULT_DATASET
    train = _corpus(args, "train")
    split = "validation" if not args.test_file else "test"
    validation = _corpus(args, split)
    pretrained = nlptoolkit.backbones.is_pretrained(args.backbone)
    kwargs = {"sequence_length": args.sequence_length}
    if args.tokenizer or not pretrained:
        kwargs["tokenizer"] = args.tokenizer or "char"
    if args.hidden_dim:
        kwargs["hidden_dim"] = args.hidden_dim
    if args.num_layers:
        kwargs["num_layers"] = args.num_layers
    if args.vocabulary_size:
        kwargs["vocabulary_size"] = args.vocabulary_size
    generator = nlptoolkit.TextGenerator(
        args.backbone, seed=args.seed, strategy=strategy, **kwargs
    )
    cli.log_default_notice(args, args.dataset)
    history = generator.fit(
        train,
        validation_data=validation,
        epochs=args.epochs or 100,
        batch_size=args.batch_size,
        max_seconds=args.max_minutes * 60,
        verbose=cli.keras_verbose(),
        checkpoint_dir=args.checkpoint_dir,
    )
    metrics = generator.evaluate(validation)
    tokenizer_level = generator.tokenizer_level
    if tokenizer_level not in ("char", "preset"):  # A preset's has them.
        metrics.update(generator.word_metrics(validation, metrics["loss"]))
    level = "char" if tokenizer_level == "char" else "word"
    order = args.ngram_order or (7 if level == "char" else 3)
    start = time.perf_counter()
    ngram = NGramLanguageModel(order=order, level=level).fit(train)
    baseline = ngram.evaluate(validation)
    metrics.update(
        {
            "train_seconds": generator.train_seconds,
            "epochs_run": len(history.epoch),
            "baseline": f"{order}-gram Kneser-Ney ({level})",
            "baseline_loss": baseline["loss"],
            "baseline_perplexity": baseline["perplexity"],
            "baseline_seconds": time.perf_counter() - start,
            "dataset": args.dataset
            if not args.train_file
            else os.path.basename(args.train_file),
            "backbone": generator.backbone_name,
            "pretrained": generator.model.task_config.get("pretrained"),
            "tokenizer": tokenizer_level,
            "seed": args.seed,
            "parameters": generator.count_params,
            "recipe": cli.recipe_record(args),
        }
    )
    metrics["manifest"] = cli.manifest(
        args.seed,
        metrics["dataset"],
        texts=train,
        tokenizer=generator.tokenizer,
    )
    context = generator.decoder.adapter.max_positions
    sample_length = 200 if context is None else max(1, context - 16)
    if generator.pretrained:
        sample_length = min(sample_length, generator.pretrained_sample_length)
    samples = generator.generate(
        sample_prompts(None if args.train_file else args.dataset, validation),
        max_length=sample_length,
        sampler="top_k",
        seed=args.seed,
    )
    output = args.output or os.path.join(
        "runs", f"generation-{args.dataset}-{generator.backbone_label}"
    )
    with cli.atomic_output_dir(
        output, strategy, args.overwrite, own=cli.own_folders(args)
    ) as tmp:
        generator.save(os.path.join(tmp, "model.keras"))
        cli.write_json(os.path.join(tmp, "metrics.json"), metrics)
        pd.DataFrame(history.history).rename_axis("epoch").to_csv(
            os.path.join(tmp, "history.csv")
        )
        plot_history(history.history, os.path.join(tmp, "learning_curves.png"))
        with open(
            os.path.join(tmp, "samples.txt"), "w", encoding="utf-8"
        ) as handle:
            handle.write("\n\n-----\n\n".join(samples) + "\n")
    rows = [
        [
            "loss (nats/token)",
            f"{metrics['loss']:.4f}",
            f"{baseline['loss']:.4f}",
        ],
        [
            "perplexity",
            f"{metrics['perplexity']:.2f}",
            f"{baseline['perplexity']:.2f}",
        ],
        [
            "train_seconds",
            f"{generator.train_seconds:.0f}",
            f"{metrics['baseline_seconds']:.0f}",
        ],
    ]
    if "word_perplexity" in metrics:
        rows.insert(
            2,
            [
                "perplexity per word",
                f"{metrics['word_perplexity']:.2f}",
                f"{baseline['perplexity']:.2f}",
            ],
        )
    print(f"\nvalidation, {generator.backbone_label} vs {metrics['baseline']}:")
    print(cli.format_table(rows, ["metric", "model", "n-gram"]))
    print(f"\n{samples[0]}\n\nwrote {output}/")
    return 0


def _load_generator(path):
    from nlptoolkit.tasks.generation import TextGenerator

    return cli.load_task(path, TextGenerator, "generators")


def evaluate_command(args):
    generator = _load_generator(args.model)
    args.max_examples = None
    metrics = generator.evaluate(_corpus(args, args.split))
    rows = [[k, f"{v:.4f}"] for k, v in metrics.items()]
    print(cli.format_table(rows, ["metric", "value"]))
    return 0


def generate_command(args):
    generator = _load_generator(args.model)
    prompts = args.prompt or [""]
    decode = (
        "stepwise" if args.stream and args.decode == "fused" else (args.decode)
    )
    callbacks = cli.clock_callbacks(args)
    on_token = None
    if args.stream:
        if len(prompts) > 1:
            raise cli.UserError("--stream shows one prompt; pass one --prompt")
        sys.stdout.write(prompts[0])

        def on_token(step, token_ids, texts):
            sys.stdout.write(texts[0])
            sys.stdout.flush()

    texts = generator.generate(
        prompts,
        max_length=args.max_length,
        sampler=args.sampler,
        temperature=args.temperature,
        seed=args.seed,
        decode=decode,
        callbacks=callbacks,
        on_token=on_token,
        num_beams=args.num_beams,
        length_penalty=args.length_penalty,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
    )
    if args.stream:
        sys.stdout.write("\n")
    else:
        print("\n\n-----\n\n".join(texts))
    cli.finish_clock(callbacks, args)
    return 0


main = cli.make_main(
    build_parser,
    {
        "train": train_command,
        "evaluate": evaluate_command,
        "generate": generate_command,
    },
)


if __name__ == "__main__":
    sys.exit(cli.program(main))
