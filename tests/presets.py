"""Tiny pretrained checkpoints the tests write themselves (no network).

``write_keras_hub_bert(folder)`` saves a random ``BertBackbone`` and its
tokenizer with keras-hub's ``save_to_preset``; ``write_hf_bert(folder)``
writes a Hugging Face-format BERT folder (``config.json``,
``model.safetensors``, ``vocab.txt``, ``tokenizer_config.json``) by hand,
and returns its weights so a test can compute the model independently.
"""

import json
import os

import numpy as np

WORDS = (
    "good great fine fun bad awful poor dull film plot movie the a was "
    "very not it is"
).split()
VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]

# Four-word sentences of one polarity each, for quick fine-tuning.
POSITIVE = ["good film", "great plot", "the movie was fun", "a fine plot"]
NEGATIVE = ["bad film", "awful plot", "the movie was dull", "a poor plot"]


def sentiment_data(repeat=6):
    texts = (POSITIVE + NEGATIVE) * repeat
    labels = ([1] * len(POSITIVE) + [0] * len(NEGATIVE)) * repeat
    return texts, labels


def write_keras_hub_bert(folder, max_sequence_length=32, seed=0):
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(VOCABULARY),
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=max_sequence_length,
    )
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY)
    backbone.save_to_preset(str(folder))
    tokenizer.save_to_preset(str(folder))
    return str(folder)


def hf_bert_weights(hidden=8, intermediate=16, layers=2, positions=32, seed=0):
    """Random BERT weights under Hugging Face's names (float32)."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.normal(0.0, 0.2, size=shape).astype("float32")

    weights = {
        "embeddings.word_embeddings.weight": normal(len(VOCABULARY), hidden),
        "embeddings.position_embeddings.weight": normal(positions, hidden),
        "embeddings.token_type_embeddings.weight": normal(2, hidden),
        "embeddings.LayerNorm.weight": 1 + normal(hidden),
        "embeddings.LayerNorm.bias": normal(hidden),
        "pooler.dense.weight": normal(hidden, hidden),
        "pooler.dense.bias": normal(hidden),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            weights[f"{p}attention.self.{name}.weight"] = normal(hidden, hidden)
            weights[f"{p}attention.self.{name}.bias"] = normal(hidden)
        weights[f"{p}attention.output.dense.weight"] = normal(hidden, hidden)
        weights[f"{p}attention.output.dense.bias"] = normal(hidden)
        weights[f"{p}attention.output.LayerNorm.weight"] = 1 + normal(hidden)
        weights[f"{p}attention.output.LayerNorm.bias"] = normal(hidden)
        weights[f"{p}intermediate.dense.weight"] = normal(intermediate, hidden)
        weights[f"{p}intermediate.dense.bias"] = normal(intermediate)
        weights[f"{p}output.dense.weight"] = normal(hidden, intermediate)
        weights[f"{p}output.dense.bias"] = normal(hidden)
        weights[f"{p}output.LayerNorm.weight"] = 1 + normal(hidden)
        weights[f"{p}output.LayerNorm.bias"] = normal(hidden)
    return weights


def write_hf_bert(folder, layers=2, heads=2, positions=32, model_type="bert"):
    """A Hugging Face BERT folder; returns ``(folder, weights, config)``."""
    from safetensors.numpy import save_file

    os.makedirs(folder, exist_ok=True)
    weights = hf_bert_weights(layers=layers, positions=positions)
    config = {
        "architectures": ["BertModel"],
        "model_type": model_type,
        "vocab_size": len(VOCABULARY),
        "hidden_size": 8,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": 16,
        "max_position_embeddings": positions,
        "type_vocab_size": 2,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
    }
    with open(os.path.join(folder, "config.json"), "w") as stream:
        json.dump(config, stream)
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as stream:
        json.dump(
            {"do_lower_case": True, "tokenizer_class": "BertTokenizer"}, stream
        )
    with open(os.path.join(folder, "vocab.txt"), "w") as stream:
        stream.write("\n".join(VOCABULARY) + "\n")
    save_file(weights, os.path.join(folder, "model.safetensors"))
    return str(folder), weights, config


def reference_bert(weights, config, token_ids):
    """BERT's forward pass in numpy, written from the paper's equations
    (tanh-approximate GELU, as keras-hub's BERT uses).

    Returns ``(sequence_output, pooled_output)`` for ``token_ids``
    (``0`` = padding, segment 0 everywhere).
    """
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]

    def w(name):
        return weights[name].astype("float64")

    def layer_norm(x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * w(f"{prefix}.weight") + w(
            f"{prefix}.bias"
        )

    def linear(x, prefix):
        return x @ w(f"{prefix}.weight").T + w(f"{prefix}.bias")

    def gelu(x):
        return (
            0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
        )

    ids = np.asarray(token_ids)
    batch, length = ids.shape
    x = (
        w("embeddings.word_embeddings.weight")[ids]
        + w("embeddings.position_embeddings.weight")[:length][None]
        + w("embeddings.token_type_embeddings.weight")[0][None, None]
    )
    x = layer_norm(x, "embeddings.LayerNorm")
    hidden = x.shape[-1]
    size = hidden // heads
    mask = np.where(ids != 0, 0.0, -1e9)[:, None, None, :]
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def split(t):
            return t.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)

        q = split(linear(x, p + "attention.self.query"))
        k = split(linear(x, p + "attention.self.key"))
        v = split(linear(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = scores / scores.sum(-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        x = layer_norm(
            x + linear(context, p + "attention.output.dense"),
            p + "attention.output.LayerNorm",
        )
        inner = gelu(linear(x, p + "intermediate.dense"))
        x = layer_norm(
            x + linear(inner, p + "output.dense"), p + "output.LayerNorm"
        )
    pooled = np.tanh(linear(x[:, 0], "pooler.dense"))
    return x, pooled


# --- causal LM presets ---
# A tiny byte-level BPE vocabulary in GPT-2's layout: id 0 is a real token
# ("!", as in GPT-2) and "<|endoftext|>" (start, end and the only special
# token) is the last id, so a test fails wherever 0 is taken for padding.
GPT2_LETTERS = list("abcdefghijklmnopqrstuvwxyz.,")
GPT2_TEXTS = [
    "the cat sat on the mat.",
    "the dog sat on the log.",
    "a cat and a dog ran to the mat.",
    "the dog ran on the log, the cat sat.",
]


def gpt2_vocabulary(size=None, specials=("<|endoftext|>",)):
    """``(vocabulary, merges)`` of a byte-level BPE tokenizer: ``"!"``
    (id 0), the letters, ``"Ġ"`` (a space) and ``"Ċ"`` (a newline),
    ``"Ġ" + letter`` merges, the words of ``GPT2_TEXTS`` as merges, then
    letter pairs up to ``size`` ids; the ``specials`` last (GPT-2's
    ``"<|endoftext|>"`` by default)."""
    tokens = ["!", *GPT2_LETTERS, "Ġ", "Ċ"]
    merges = []

    def merge(left, right):
        if left + right not in tokens:
            tokens.append(left + right)
            merges.append(f"{left} {right}")

    for letter in GPT2_LETTERS[:26]:
        merge("Ġ", letter)
    for left, right in [
        ("t", "h"),
        ("th", "e"),
        ("Ġt", "h"),
        ("Ġth", "e"),
        ("a", "t"),
        ("Ġc", "at"),
    ]:
        merge(left, right)
    if size is not None:
        for left in GPT2_LETTERS[:26]:
            for right in GPT2_LETTERS[:26]:
                if len(tokens) >= size - len(specials):
                    break
                merge(left, right)
    tokens.extend(specials)
    return {token: i for i, token in enumerate(tokens)}, merges


def tiny_gpt2(
    vocabulary_size=None,
    num_layers=2,
    hidden_dim=8,
    num_heads=2,
    max_sequence_length=64,
    seed=0,
):
    """A random ``GPT2CausalLM`` with a ``GPT2CausalLMPreprocessor``
    (``intermediate_dim = 4 * hidden_dim``, what the Hugging Face
    converter assumes)."""
    import keras
    import keras_hub

    vocabulary, merges = gpt2_vocabulary(vocabulary_size)
    keras.utils.set_random_seed(seed)
    tokenizer = keras_hub.models.GPT2Tokenizer(
        vocabulary=vocabulary, merges=merges
    )
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=len(vocabulary),
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        intermediate_dim=4 * hidden_dim,
        max_sequence_length=max_sequence_length,
    )
    preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(
        tokenizer, sequence_length=max_sequence_length
    )
    return keras_hub.models.GPT2CausalLM(
        backbone=backbone, preprocessor=preprocessor
    )


def write_keras_hub_gpt2(folder, **sizes):
    """A keras-hub preset folder (``save_to_preset``) of ``tiny_gpt2``."""
    tiny_gpt2(**sizes).save_to_preset(str(folder))
    return str(folder)


def write_hf_causal_lm(causal_lm, folder, architecture, preprocessor=None):
    """A Hugging Face folder of ``causal_lm`` written by keras-hub's
    ``export_to_transformers`` (its tokenizer too: ``causal_lm``'s
    preprocessor, or ``preprocessor``), with the ``architectures`` key it
    omits (keras-hub's own loader needs it): ``architecture``, e.g.
    ``"GPT2LMHeadModel"``."""
    causal_lm.export_to_transformers(str(folder))
    if preprocessor is not None:
        preprocessor.export_to_transformers(str(folder))
    if type(causal_lm.backbone).__name__ == "GemmaBackbone":
        _rewrite_gemma_queries(causal_lm.backbone, folder)
    path = os.path.join(folder, "config.json")
    with open(path, encoding="utf-8") as stream:
        config = json.load(stream)
    config.setdefault("architectures", [architecture])
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(config, stream)
    return str(folder)


def _rewrite_gemma_queries(backbone, folder):
    """keras-hub 0.32's Gemma exporter reshapes the query kernel
    ``(heads, hidden, head_dim)`` to ``(-1, hidden)`` before transposing,
    which scrambles ``q_proj`` wherever ``heads * head_dim != hidden``
    (Gemma 7B: 16 x 256 against 3072); its converter reads Hugging Face's
    layout, ``(heads * head_dim, hidden)``, which this writes."""
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file

    path = os.path.join(folder, "model.safetensors")
    weights = load_file(path)
    for i in range(backbone.num_layers):
        layer = backbone.get_layer(f"decoder_block_{i}")
        kernel = np.asarray(layer.attention.query_dense.kernel)
        weights[f"model.layers.{i}.self_attn.q_proj.weight"] = kernel.transpose(
            0, 2, 1
        ).reshape(-1, kernel.shape[1])
    save_file(weights, path, metadata={"format": "pt"})


def write_hf_gpt2(folder, **sizes):
    """A Hugging Face GPT-2 folder of ``tiny_gpt2`` (``write_hf_causal_lm``)."""
    return write_hf_causal_lm(tiny_gpt2(**sizes), folder, "GPT2LMHeadModel")


# Llama 3: grouped-query attention (4 query heads over 2 key/value heads),
# rotary positions (no position table), an untied output embedding and
# five special tokens, the vocabulary's last ids: start, end, two header
# tokens and "<|eot_id|>" (a second end token).
LLAMA3_SPECIALS = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
)


def tiny_llama3(
    num_layers=2,
    hidden_dim=16,
    num_query_heads=4,
    num_key_value_heads=2,
    seed=0,
):
    """A random ``Llama3CausalLM`` with a ``Llama3CausalLMPreprocessor``
    over ``gpt2_vocabulary``'s tokens and ``LLAMA3_SPECIALS``."""
    import keras
    import keras_hub

    vocabulary, merges = gpt2_vocabulary(specials=LLAMA3_SPECIALS)
    keras.utils.set_random_seed(seed)
    tokenizer = keras_hub.models.Llama3Tokenizer(
        vocabulary=vocabulary, merges=merges
    )
    backbone = keras_hub.models.Llama3Backbone(
        vocabulary_size=len(vocabulary),
        num_layers=num_layers,
        num_query_heads=num_query_heads,
        num_key_value_heads=num_key_value_heads,
        hidden_dim=hidden_dim,
        intermediate_dim=2 * hidden_dim,
    )
    preprocessor = keras_hub.models.Llama3CausalLMPreprocessor(
        tokenizer, sequence_length=32
    )
    return keras_hub.models.Llama3CausalLM(
        backbone=backbone, preprocessor=preprocessor
    )


def write_keras_hub_llama3(folder, **sizes):
    """A keras-hub preset folder (``save_to_preset``) of ``tiny_llama3``."""
    tiny_llama3(**sizes).save_to_preset(str(folder))
    return str(folder)


# Mistral, Gemma and Qwen: a tiny random model of each family, whose sizes
# exercise what sets its cache apart: Mistral's sliding window (4 tokens,
# shorter than the test texts) over grouped-query heads; Gemma's one
# key/value head and head_dim (12) unlike hidden_dim / heads (8), its
# embedding scaled by sqrt(hidden_dim) and tied to the output; Gemma 3's
# too, text-only, with sliding-window layers (4 tokens), query/key norms
# and one (key, value) cache pair per layer; Qwen 2's query/key/value
# biases and an untied output; Qwen 3's head_dim (6) and query/key norms.
# Mistral and the Gemmas tokenize with a tiny SentencePiece model
# (``sentencepiece_proto``), the Qwens with ``gpt2_vocabulary``'s
# byte-level BPE and Qwen's special tokens.
QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
CAUSAL_FAMILIES = {
    # family: (keras-hub class prefix, backbone arguments)
    "mistral": (
        "Mistral",
        {"num_query_heads": 4, "num_key_value_heads": 2, "sliding_window": 4},
    ),
    "gemma": (
        "Gemma",
        {"num_query_heads": 2, "num_key_value_heads": 1, "head_dim": 12},
    ),
    "gemma3": (
        "Gemma3",
        {
            "num_query_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 12,
            "image_size": 16,  # Required, unused without a vision encoder.
            "use_sliding_window_attention": True,
            "sliding_window_size": 4,
        },
    ),
    "qwen": (
        "Qwen",
        {
            "num_query_heads": 4,
            "num_key_value_heads": 2,
            "tie_word_embeddings": False,
        },
    ),
    "qwen3": (
        "Qwen3",
        {"num_query_heads": 4, "num_key_value_heads": 2, "head_dim": 6},
    ),
}


def sentencepiece_proto(start, end, pad=None, symbols=()):
    """A tiny SentencePiece BPE model (its serialized proto) trained on
    ``GPT2_TEXTS``: ``"<unk>"``, ``start``, ``end`` (and ``pad``) at ids
    1, 2, 3 (and 4), so id 0 is a real piece (``"▁t"``); ``symbols`` are
    extra special pieces (Gemma's turn markers) after them."""
    import io

    import sentencepiece

    stream = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(GPT2_TEXTS),
        model_writer=stream,
        vocab_size=80,
        hard_vocab_limit=False,
        model_type="bpe",
        character_coverage=1.0,
        unk_id=1,
        bos_id=2,
        eos_id=3,
        pad_id=4 if pad else -1,
        unk_piece="<unk>",
        bos_piece=start,
        eos_piece=end,
        pad_piece=pad or "<pad>",
        user_defined_symbols=list(symbols),
        minloglevel=2,
    )
    return stream.getvalue()


def gemma_proto():
    """Gemma's special pieces and turn markers in ``sentencepiece_proto``."""
    turns = ("<start_of_turn>", "<end_of_turn>")
    return sentencepiece_proto("<bos>", "<eos>", "<pad>", turns)


def family_tokenizer(family):
    """The keras-hub tokenizer of ``family`` (``CAUSAL_FAMILIES``)."""
    import keras_hub

    if family == "mistral":
        return keras_hub.models.MistralTokenizer(
            proto=sentencepiece_proto("<s>", "</s>")
        )
    if family == "gemma":
        return keras_hub.models.GemmaTokenizer(proto=gemma_proto())
    if family == "gemma3":
        return keras_hub.models.Gemma3Tokenizer(
            proto=gemma_proto(), has_vision_tokens=False
        )
    vocabulary, merges = gpt2_vocabulary(specials=QWEN_SPECIALS)
    prefix = CAUSAL_FAMILIES[family][0]
    tokenizer = getattr(keras_hub.models, f"{prefix}Tokenizer")
    return tokenizer(vocabulary=vocabulary, merges=merges)


def tiny_causal_lm(family, num_layers=2, hidden_dim=16, seed=0, **sizes):
    """A random keras-hub ``CausalLM`` of ``family`` (``CAUSAL_FAMILIES``:
    its backbone arguments, updated by ``sizes``) with its
    ``CausalLMPreprocessor`` and ``family_tokenizer``."""
    import keras
    import keras_hub

    prefix, arguments = CAUSAL_FAMILIES[family]
    tokenizer = family_tokenizer(family)
    keras.utils.set_random_seed(seed)
    backbone = getattr(keras_hub.models, f"{prefix}Backbone")(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=num_layers,
        hidden_dim=hidden_dim,
        intermediate_dim=2 * hidden_dim,
        **{**arguments, **sizes},
    )
    preprocessor = getattr(keras_hub.models, f"{prefix}CausalLMPreprocessor")(
        tokenizer, sequence_length=32
    )
    return getattr(keras_hub.models, f"{prefix}CausalLM")(
        backbone=backbone, preprocessor=preprocessor
    )


def write_keras_hub_causal_lm(folder, family, **sizes):
    """A keras-hub preset folder (``save_to_preset``) of
    ``tiny_causal_lm(family)``."""
    tiny_causal_lm(family, **sizes).save_to_preset(str(folder))
    return str(folder)


def continuation_log_probs(generator, ids, lengths, stop_ids):
    """Per row of ``ids``: the sum of ``log p(token | prefix)`` over its
    new tokens (from ``lengths[row]`` up to and including the first of
    ``stop_ids``), from the model's uncached forward pass with the
    decoder's ``forbidden_ids`` masked out, as decoding masks them."""
    logits = np.array(generator.model.predict(ids, verbose=0), "float64")
    logits[..., list(generator.decoder.adapter.forbidden_ids)] = -1e9
    top = logits.max(-1, keepdims=True)
    log_probs = (
        logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))
    )
    scores = []
    for row, start in zip(ids, lengths, strict=True):
        total = 0.0
        for index in range(int(start), len(row)):
            total += log_probs[len(scores), index - 1, row[index]]
            if row[index] in stop_ids:
                break
        scores.append(total)
    return np.array(scores)


def greedy_and_beam(generator, prompts, max_length, num_beams=4):
    """``(lengths, stop_ids, {"greedy": ids, "beam": ids})``: the arrays
    the decoder returns for ``prompts`` (no XLA; beam search ranked by
    the plain sum of log-probabilities, ``length_penalty=0``)."""
    from nlptoolkit.decoding import make_sampler

    stop_ids = [generator.special_ids[1]]
    ids, lengths = generator._encode_prompts(prompts, max_length, stop_ids)
    mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]
    samplers = {
        "greedy": make_sampler("greedy"),
        "beam": make_sampler("beam", num_beams=num_beams, length_penalty=0.0),
    }
    out = {
        name: np.asarray(
            generator.decoder.generate(
                ids,
                int(lengths.min()),
                mask,
                sampler,
                stop_token_ids=stop_ids,
                jit_compile=False,
            )
        )
        for name, sampler in samplers.items()
    }
    return lengths, stop_ids, out


def best_two_token_score(generator, prompt, stop_ids):
    """The highest log-probability of any two new tokens after
    ``prompt`` (a stop token first ends it), by exhaustive search over
    the model's uncached logits (forbidden ids masked)."""
    ids, lengths = generator._encode_prompts([prompt], 0)
    prefix = ids[0, : int(lengths[0])]
    forbidden = list(generator.decoder.adapter.forbidden_ids)

    def last_log_probs(rows):
        logits = np.array(generator.model.predict(rows, verbose=0), "float64")
        logits = logits[:, -1]
        logits[:, forbidden] = -1e9
        top = logits.max(-1, keepdims=True)
        return (
            logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))
        )

    first = last_log_probs(prefix[None])[0]
    size = len(first)
    rows = np.concatenate(
        [np.tile(prefix, (size, 1)), np.arange(size)[:, None]], axis=1
    ).astype("int32")
    second = last_log_probs(rows).max(-1)
    stops = np.isin(np.arange(size), stop_ids)
    return float(np.max(first + np.where(stops, 0.0, second)))


def beam_gains_over_greedy(generator, prompts):
    """Per prompt, two new tokens with as many beams as ids (exhaustive
    beam search): checks that the beam's continuation scores what
    ``best_two_token_score`` finds (atol 1e-4) and never below greedy's
    (both scored by ``continuation_log_probs``); returns beam - greedy.
    Each prompt is its own call, so a second prompt length retraces the
    loop with relaxed shapes."""
    size = len(generator.tokenizer.vocabulary)
    gains = []
    for prompt in prompts:
        lengths, stop_ids, out = greedy_and_beam(
            generator, [prompt], 2, num_beams=size
        )
        greedy, beam = (
            continuation_log_probs(generator, out[name], lengths, stop_ids)[0]
            for name in ("greedy", "beam")
        )
        best = best_two_token_score(generator, prompt, stop_ids)
        assert abs(beam - best) <= 1e-4, (prompt, beam, best)
        assert beam >= greedy - 1e-4, (prompt, beam, greedy)
        gains.append(beam - greedy)
    return gains


# --- seq2seq presets ---
# Tiny BART checkpoints (random weights) in both folder formats, and
# dialogue-like pairs to fine-tune them on. The byte-level BPE vocabulary
# holds every letter (with and without the leading-space marker "Ġ") and
# the merges that rebuild each word, so any text of these words tokenizes
# without unknown pieces.
BART_WORDS = (
    "alice bob carol dan met saw called at the cafe park office on monday "
    "friday and they talked about work lunch plans"
).split()
SUMMARY_PAIRS = [
    ("alice met bob at the cafe on monday and they talked", "alice met bob"),
    ("carol saw dan at the park on friday and they talked", "carol saw dan"),
    ("bob called alice about work and they talked plans", "bob called alice"),
    ("dan met carol at the office and they talked lunch", "dan met carol"),
]


def bart_vocabulary_and_merges(words=BART_WORDS):
    """``(vocabulary dict, merges list)`` for keras-hub's BartTokenizer."""
    vocabulary = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    merges = []

    def add(token):
        vocabulary.setdefault(token, len(vocabulary))

    add("Ġ")
    for letter in sorted({c for word in words for c in word}):
        add(letter)
    # Words after a space first: their merges outrank the others, so a
    # word inside a text is one token.
    for spelled in ["Ġ" + word for word in words] + list(words):
        piece = spelled[0]
        for letter in spelled[1:]:
            merge = f"{piece} {letter}"
            if merge not in merges:
                merges.append(merge)
            piece += letter
            add(piece)
    return vocabulary, merges


def summary_data(repeat=2):
    documents = [d for d, _ in SUMMARY_PAIRS] * repeat
    summaries = [s for _, s in SUMMARY_PAIRS] * repeat
    return documents, summaries


def write_keras_hub_bart(folder, max_sequence_length=32, seed=0):
    """A random tiny ``BartBackbone`` + ``BartTokenizer`` saved with
    ``save_to_preset`` (the ``BartSeq2SeqLMPreprocessor`` config too)."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    vocabulary, merges = bart_vocabulary_and_merges()
    backbone = keras_hub.models.BartBackbone(
        vocabulary_size=len(vocabulary),
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=max_sequence_length,
        dropout=0.0,
    )
    tokenizer = keras_hub.models.BartTokenizer(
        vocabulary=vocabulary, merges=merges
    )
    preprocessor = keras_hub.models.BartSeq2SeqLMPreprocessor(
        tokenizer=tokenizer,
        encoder_sequence_length=max_sequence_length,
        decoder_sequence_length=max_sequence_length,
    )
    backbone.save_to_preset(str(folder))
    preprocessor.save_to_preset(str(folder))
    return str(folder)


# Run in a child process: torch and TensorFlow in one process crash
# (signal 11 while importing torch after TensorFlow, seen here).
_HF_BART_SCRIPT = """
import json, os, sys
import numpy as np
import torch
import transformers

folder, vocabulary, merges, positions, seed = json.loads(sys.argv[1])
torch.manual_seed(seed)
config = transformers.BartConfig(
    vocab_size=len(vocabulary), d_model=8, encoder_layers=1,
    decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
    encoder_ffn_dim=16, decoder_ffn_dim=16,
    max_position_embeddings=positions, dropout=0.0, attention_dropout=0.0,
    activation_dropout=0.0, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    decoder_start_token_id=2, forced_eos_token_id=2, scale_embedding=False,
)
model = transformers.BartForConditionalGeneration(config).eval()
model.save_pretrained(folder, safe_serialization=True)
# transformers 5 no longer writes `num_hidden_layers`, which keras-hub's
# BART converter reads (the Hub's BART config.json files have it).
path = os.path.join(folder, "config.json")
with open(path) as stream:
    saved = json.load(stream)
saved.setdefault("num_hidden_layers", saved["encoder_layers"])
with open(path, "w") as stream:
    json.dump(saved, stream)
with open(os.path.join(folder, "vocab.json"), "w") as stream:
    json.dump(vocabulary, stream)
with open(os.path.join(folder, "merges.txt"), "w") as stream:
    stream.write("#version: 0.2\\n" + "\\n".join(merges) + "\\n")
encoder = np.array(HF_ENCODER)
decoder = np.array(HF_DECODER)
with torch.no_grad():
    logits = model(
        input_ids=torch.tensor(encoder),
        attention_mask=torch.tensor(encoder != 1).long(),
        decoder_input_ids=torch.tensor(decoder),
        decoder_attention_mask=torch.tensor(decoder != 1).long(),
    ).logits.numpy()
np.savez(os.path.join(folder, "reference.npz"), encoder=encoder,
         decoder=decoder, logits=logits)
"""
# Ids the reference logits are computed for (pad = 1).
HF_ENCODER = [[0, 5, 9, 12, 2, 1, 1], [0, 7, 2, 1, 1, 1, 1]]
HF_DECODER = [[2, 0, 8, 11, 6], [2, 0, 13, 1, 1]]


def write_hf_bart(folder, max_sequence_length=32, seed=0):
    """A Hugging Face-format BART folder (``config.json`` with
    ``architectures``, ``model.safetensors``, ``vocab.json``,
    ``merges.txt``) written by ``transformers`` from a random tiny config
    in a child process, with ``reference.npz``: PyTorch's own logits for
    ``HF_ENCODER`` / ``HF_DECODER``, an independent reference. Needs
    ``transformers`` and ``torch`` (callers skip without them). Returns
    ``(folder, reference)``."""
    import subprocess
    import sys

    vocabulary, merges = bart_vocabulary_and_merges()
    script = _HF_BART_SCRIPT.replace("HF_ENCODER", repr(HF_ENCODER))
    script = script.replace("HF_DECODER", repr(HF_DECODER))
    arguments = [str(folder), vocabulary, merges, max_sequence_length, seed]
    env = {**os.environ, "USE_TF": "0", "USE_TORCH": "1"}
    subprocess.run(
        [sys.executable, "-c", script, json.dumps(arguments)],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    reference = dict(np.load(os.path.join(folder, "reference.npz")))
    return str(folder), reference


# --- T5 presets ---
# A tiny random T5 (relative position buckets, no position table) and a
# SentencePiece vocabulary trained here on the summary pairs. The default
# id layout is T5's own (pad 0, which is also the decoder's start id,
# end "</s>" 1, unk 2; no "<s>"); ``ids=`` moves them, so a test can show
# that nothing takes 0 for padding unless the tokenizer says so.
T5_IDS = {"pad": 0, "eos": 1, "unk": 2}


def t5_sentencepiece(vocabulary_size=64, ids=None, words=BART_WORDS):
    """A serialized SentencePiece model (bytes) trained on ``words`` and
    the summary pairs, with T5's special pieces at ``ids`` (default
    ``T5_IDS``)."""
    import io

    import sentencepiece

    ids = {**T5_IDS, **(ids or {})}
    texts = [d for pair in SUMMARY_PAIRS for d in pair] + list(words)
    stream = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=stream,
        vocab_size=vocabulary_size,
        model_type="bpe",
        character_coverage=1.0,
        bos_id=-1,
        pad_id=ids["pad"],
        eos_id=ids["eos"],
        unk_id=ids["unk"],
        pad_piece="<pad>",
        eos_piece="</s>",
        unk_piece="<unk>",
        num_threads=1,
        minloglevel=2,
    )
    return stream.getvalue()


def write_keras_hub_t5(folder, ids=None, seed=0, hidden_dim=8, key_value_dim=6):
    """A random tiny ``T5Backbone`` + ``T5Tokenizer`` saved with
    ``save_to_preset`` (the ``T5Seq2SeqLMPreprocessor`` config too).
    ``key_value_dim`` (per head) differs from ``hidden_dim / num_heads``
    on purpose: the cache must be sized by it."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    tokenizer = keras_hub.models.T5Tokenizer(proto=t5_sentencepiece(ids=ids))
    backbone = keras_hub.models.T5Backbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=1,
        num_heads=2,
        hidden_dim=hidden_dim,
        intermediate_dim=2 * hidden_dim,
        key_value_dim=key_value_dim,
        dropout=0.0,
    )
    # keras-hub initializes T5's embedding with `TruncatedNormal(1.0)`,
    # which is mean 1.0 and stddev 0.05: every token nearly the same
    # vector, and a random model that cannot tell its inputs apart (real
    # presets load trained weights). Draw it as T5 does, N(0, 1).
    embedding = backbone.token_embedding.embeddings
    rng = np.random.default_rng(seed)
    embedding.assign(rng.normal(0.0, 1.0, embedding.shape).astype("float32"))
    preprocessor = keras_hub.models.T5Seq2SeqLMPreprocessor(
        tokenizer=tokenizer,
        encoder_sequence_length=32,
        decoder_sequence_length=32,
    )
    backbone.save_to_preset(str(folder))
    preprocessor.save_to_preset(str(folder))
    return str(folder)


def summary_log_probs(summarizer, documents, ids):
    """Per row of ``ids`` (summary tokens as ``Summarizer.predict``
    returns them, start tokens not included): ``(sums, lengths)``, the sum
    of the decoder's log-probabilities up to and including the first end
    token and that token count, from the teacher-forced model with the
    decoder's ``forbidden_ids`` masked out, as decoding masks them."""
    start_ids, end, pad = summarizer.special_ids
    width = len(start_ids)
    ids = np.asarray(ids)
    framed = np.full((len(documents), width + ids.shape[1]), pad, "int32")
    framed[:, :width] = start_ids
    framed[:, width:] = ids
    log_probs = _forced_log_probs(summarizer, documents, framed)
    sums, lengths = [], []
    for row in range(len(documents)):
        total, count = 0.0, 0
        for position in range(ids.shape[1]):
            token = ids[row, position]
            total += log_probs[row, width - 1 + position, token]
            count += 1
            if token == end:
                break
        sums.append(total)
        lengths.append(count)
    return np.array(sums), np.array(lengths)


def _forced_log_probs(summarizer, documents, decoder_ids):
    encoder = summarizer.encode_documents(documents)
    logits = summarizer.model.predict(
        {"encoder_token_ids": encoder, "decoder_token_ids": decoder_ids},
        verbose=0,
    ).astype("float64")
    logits[..., list(summarizer.decoder.adapter.forbidden_ids)] = -1e9
    top = logits.max(-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))


def best_two_token_summary(summarizer, document, length_penalty):
    """The best ``sum_log_probs / length ** length_penalty`` of any
    summary of at most two tokens (one when the first is the end token)
    of ``document``, by exhaustive search over the teacher-forced
    model's log-probabilities (forbidden ids masked)."""
    start_ids, end, _ = summarizer.special_ids
    width = len(start_ids)
    size = summarizer.tokenizer.vocabulary_size
    framed = np.zeros((size, width + 1), "int32")
    framed[:, :width] = start_ids
    framed[:, width] = np.arange(size)
    log_probs = _forced_log_probs(summarizer, [document] * size, framed)
    first = log_probs[0, width - 1]
    pairs = (first[:, None] + log_probs[:, width]) / 2.0**length_penalty
    pairs[end] = first[end]  # The end token first: a one-token summary.
    return float(pairs.max())
