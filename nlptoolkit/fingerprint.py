"""Content hashes recorded next to results (``metrics.json`` manifests)
and used to recognise a training run's checkpoints.

- :func:`texts_sha256`: sha256 of the texts as one JSON array (UTF-8,
  ``ensure_ascii=False``, ``json.dumps`` default separators), streamed so a
  large corpus is never held twice. Order matters.
- :func:`vocabulary_sha256`: sha256 of the vocabulary JSON exactly as the
  tokenizer writes it into the ``.keras`` file (``vocabulary.json``).

Example:
>>> from nlptoolkit.fingerprint import texts_sha256, vocabulary_sha256
>>> import hashlib, json
>>> texts_sha256(["a", "b"]) == hashlib.sha256(b'["a", "b"]').hexdigest()
True
>>> vocabulary_sha256(["[PAD]"]) == hashlib.sha256(b'["[PAD]"]').hexdigest()
True
"""

import hashlib
import json


def texts_sha256(texts):
    """The hex sha256 of ``texts`` (an iterable of str) as a JSON array."""
    digest = hashlib.sha256(b"[")
    for index, text in enumerate(texts):
        if index:
            digest.update(b", ")
        digest.update(json.dumps(text, ensure_ascii=False).encode("utf-8"))
    digest.update(b"]")
    return digest.hexdigest()


def vocabulary_sha256(vocabulary):
    """The hex sha256 of a vocabulary (list of tokens) as saved (JSON)."""
    payload = json.dumps(list(vocabulary), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
