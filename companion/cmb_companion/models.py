"""BERT and ModernBERT encoders with their task heads, in PyTorch.

The semantics are exactly those of the extension's safetensors -> ONNX converter
(src/engine/model/convert/bert.ts, modernbert.ts, encoderOps.ts, classifierHead.ts), which in
turn mirror transformers 4.48 (eager attention): the same activations, norm epsilons, masks
(float min added to masked scores, never -inf, so fully masked rows stay finite), rotary
embeddings with a global and a local theta, the sliding window on local layers, final_norm, tied
decoders and pooling. Module attribute names follow transformers, so `state_dict()` keys are
the tensor names of an ordinary Hugging Face checkpoint (`bert.encoder.layer.0.attention.self.query.weight`,
`model.layers.1.attn.Wqkv.weight`, `classifier.weight`, ...) and the output folder loads in
transformers as well as in the extension.
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig

HEADS = ("none", "mlm", "token", "sequence")

# transformers' class names per architecture and head, written into config.json's "architectures"
ARCHITECTURE_NAMES = {
    "bert": {"none": "BertModel", "mlm": "BertForMaskedLM", "token": "BertForTokenClassification", "sequence": "BertForSequenceClassification"},
    "modernbert": {"none": "ModernBertModel", "mlm": "ModernBertForMaskedLM", "token": "ModernBertForTokenClassification", "sequence": "ModernBertForSequenceClassification"},
}

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def activation(x: torch.Tensor, name: str) -> torch.Tensor:
    """transformers' ACT2FN, as the converter writes them."""
    if name in ("gelu", "gelu_python"):
        return F.gelu(x)
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))
    if name == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    if name == "relu":
        return F.relu(x)
    if name in ("silu", "swish"):
        return F.silu(x)
    if name == "tanh":
        return torch.tanh(x)
    raise ValueError(f"unsupported activation {name}")


class LayerNorm(nn.Module):
    """nn.LayerNorm with an optional bias (torch 1.13's has no bias=False; ModernBERT's norm_bias false needs it)."""

    def __init__(self, hidden: int, eps: float, bias: bool = True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(hidden))
        self.bias = nn.Parameter(torch.zeros(hidden)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


def additive_mask(visible: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """0 where a key is visible, the dtype's lowest finite value elsewhere (as transformers does)."""
    zero = torch.zeros((), dtype=dtype, device=visible.device)
    return torch.where(visible, zero, torch.tensor(torch.finfo(dtype).min, dtype=dtype, device=visible.device))


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, visible: torch.Tensor, dropout: float, eager: bool) -> torch.Tensor:
    """softmax(q k^T / sqrt(d) + mask) v over [batch, heads, seq, head_dim]; `visible` broadcasts to [batch, heads, seq, seq]."""
    mask = additive_mask(visible, q.dtype)
    if HAS_SDPA and not eager:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
    scores = torch.matmul(q * (1.0 / math.sqrt(q.shape[-1])), k.transpose(-1, -2)) + mask
    probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
    if dropout > 0:
        probs = F.dropout(probs, dropout)
    return torch.matmul(probs, v)


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    b, s, h = x.shape
    return x.view(b, s, heads, h // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    b, n, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, n * d)


# ---------------------------------------------------------------- BERT


class _Dense(nn.Module):
    """A holder whose only child is `dense`, as transformers names BertIntermediate, BertPooler, ..."""

    def __init__(self, n_in: int, n_out: int, norm: Optional[Tuple[int, float]] = None):
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        if norm is not None:
            self.LayerNorm = LayerNorm(norm[0], norm[1])


class BertEmbeddings(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_rows: int):
        super().__init__()
        h = cfg.hidden_size
        self.word_embeddings = nn.Embedding(vocab_rows, h)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, h)
        self.token_type_embeddings = nn.Embedding(max(cfg.type_vocab_size, 1), h)
        self.LayerNorm = LayerNorm(h, cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.embedding_dropout)

    def forward(self, ids: torch.Tensor, token_types: Optional[torch.Tensor]) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        if token_types is None:
            token_types = torch.zeros_like(ids)
        x = self.word_embeddings(ids) + self.token_type_embeddings(token_types) + self.position_embeddings(positions)[None]
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, h: int):
        super().__init__()
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)


class BertAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h = cfg.hidden_size
        setattr(self, "self", BertSelfAttention(h))
        self.output = _Dense(h, h, (h, cfg.layer_norm_eps))


class BertLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h, i = cfg.hidden_size, cfg.intermediate_size
        self.cfg = cfg
        self.attention = BertAttention(cfg)
        self.intermediate = _Dense(h, i)
        self.output = _Dense(i, h, (h, cfg.layer_norm_eps))
        self.dropout = nn.Dropout(cfg.hidden_dropout)

    def forward(self, x: torch.Tensor, visible: torch.Tensor, eager: bool) -> torch.Tensor:
        cfg = self.cfg
        sa = getattr(self.attention, "self")
        n = cfg.num_attention_heads
        q, k, v = split_heads(sa.query(x), n), split_heads(sa.key(x), n), split_heads(sa.value(x), n)
        ctx = merge_heads(attention(q, k, v, visible, cfg.attention_dropout if self.training else 0.0, eager))
        out = self.attention.output
        x = out.LayerNorm(self.dropout(out.dense(ctx)) + x)
        inter = activation(self.intermediate.dense(x), cfg.hidden_act)
        return self.output.LayerNorm(self.dropout(self.output.dense(inter)) + x)


class BertEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(cfg) for _ in range(cfg.num_hidden_layers)])


class BertModel(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_rows: int, pooler: bool):
        super().__init__()
        self.embeddings = BertEmbeddings(cfg, vocab_rows)
        self.encoder = BertEncoder(cfg)
        self.pooler = _Dense(cfg.hidden_size, cfg.hidden_size) if pooler else None

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, eager: bool, token_types: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = self.embeddings(ids, token_types)
        visible = mask.bool()[:, None, None, :]
        for layer in self.encoder.layer:
            x = layer(x, visible, eager)
        return x


class BertPredictionTransform(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.LayerNorm = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps)


class BertLMPrediction(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_rows: int, untied: bool):
        super().__init__()
        self.transform = BertPredictionTransform(cfg)
        self.bias = nn.Parameter(torch.zeros(vocab_rows))
        self.decoder = nn.Linear(cfg.hidden_size, vocab_rows, bias=False) if untied else None


class BertMLMHead(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_rows: int, untied: bool):
        super().__init__()
        self.predictions = BertLMPrediction(cfg, vocab_rows, untied)


# ---------------------------------------------------------------- ModernBERT


class ModernBertEmbeddings(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_rows: int):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab_rows, cfg.hidden_size)
        self.norm = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps, cfg.norm_bias)
        self.drop = nn.Dropout(cfg.embedding_dropout)


class ModernBertAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h = cfg.hidden_size
        self.Wqkv = nn.Linear(h, 3 * h, bias=cfg.attention_bias)
        self.Wo = nn.Linear(h, h, bias=cfg.attention_bias)


class ModernBertMLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.Wi = nn.Linear(cfg.hidden_size, 2 * cfg.intermediate_size, bias=cfg.mlp_bias)
        self.Wo = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=cfg.mlp_bias)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rotary_tables(seq: int, head_dim: int, theta: float, device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos and sin [seq, head_dim] in float32, as transformers computes them (rotate-half layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64, device=device).float() / head_dim))
    freqs = torch.arange(seq, device=device, dtype=torch.float32)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


class ModernBertLayer(nn.Module):
    def __init__(self, cfg: ModelConfig, index: int, attn_norm: bool):
        super().__init__()
        self.cfg = cfg
        self.local = cfg.local_layers[index]
        # layer 0 has no attention norm in transformers: the embedding norm just ran
        self.attn_norm = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps, cfg.norm_bias) if attn_norm else None
        self.attn = ModernBertAttention(cfg)
        self.mlp_norm = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps, cfg.norm_bias)
        self.mlp = ModernBertMLP(cfg)
        self.drop = nn.Dropout(cfg.attention_dropout)
        self.mlp_drop = nn.Dropout(cfg.hidden_dropout)

    def forward(self, x: torch.Tensor, visible: torch.Tensor, rope: Tuple[torch.Tensor, torch.Tensor], eager: bool) -> torch.Tensor:
        cfg = self.cfg
        normed = self.attn_norm(x) if self.attn_norm is not None else x
        b, s, h = x.shape
        qkv = self.attn.Wqkv(normed).view(b, s, 3, cfg.num_attention_heads, cfg.head_dim)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))
        cos, sin = (t.to(q.dtype) for t in rope)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        ctx = merge_heads(attention(q, k, v, visible, cfg.attention_dropout if self.training else 0.0, eager))
        x = x + self.drop(self.attn.Wo(ctx))
        a, g = self.mlp.Wi(self.mlp_norm(x)).chunk(2, dim=-1)
        return x + self.mlp.Wo(self.mlp_drop(activation(a, cfg.hidden_act) * g))


class ModernBertModel(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_rows: int, layer0_attn_norm: bool = False):
        super().__init__()
        self.cfg = cfg
        self.embeddings = ModernBertEmbeddings(cfg, vocab_rows)
        self.layers = nn.ModuleList([ModernBertLayer(cfg, i, i > 0 or layer0_attn_norm) for i in range(cfg.num_hidden_layers)])
        self.final_norm = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps, cfg.norm_bias)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, eager: bool, token_types: Optional[torch.Tensor] = None) -> torch.Tensor:
        cfg = self.cfg
        x = self.embeddings.drop(self.embeddings.norm(self.embeddings.tok_embeddings(ids)))
        s = ids.shape[1]
        visible = mask.bool()[:, None, None, :]
        pos = torch.arange(s, device=ids.device)
        in_window = (pos[:, None] - pos[None, :]).abs() <= cfg.half_window
        local_visible = visible & in_window[None, None]
        global_rope = rotary_tables(s, cfg.head_dim, cfg.global_rope_theta, ids.device)
        local_rope = rotary_tables(s, cfg.head_dim, cfg.local_rope_theta, ids.device) if any(cfg.local_layers) else global_rope
        for layer in self.layers:
            x = layer(x, local_visible if layer.local else visible, local_rope if layer.local else global_rope, eager)
        return self.final_norm(x)


class _BiasOnly(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(n))


class ModernBertHead(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size, bias=cfg.classifier_bias)
        self.norm = LayerNorm(cfg.hidden_size, cfg.layer_norm_eps, cfg.norm_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(activation(self.dense(x), self.cfg.classifier_activation))


# ---------------------------------------------------------------- encoder + head


class EncoderWithHead(nn.Module):
    """An encoder and one head, named as transformers' *ForMaskedLM / *ForTokenClassification /
    *ForSequenceClassification (or the bare *Model for head "none").

    forward(ids, mask) -> (last_hidden_state [B, S, H], logits: [B, S, labels] for token and mlm
    heads, [B, labels] for sequence heads, None for "none").
    """

    def __init__(self, cfg: ModelConfig, head: str, num_labels: int = 0, vocab_rows: Optional[int] = None,
                 untied_decoder: bool = False, layer0_attn_norm: bool = False, decoder_bias: Optional[bool] = None):
        super().__init__()
        assert head in HEADS
        self.cfg = cfg
        self.head_kind = head
        self.num_labels = num_labels
        self.eager = False
        rows = vocab_rows or cfg.vocab_size
        self.vocab_rows = rows
        if cfg.model_type == "bert":
            self.prefix = "" if head == "none" else "bert."
            # transformers' token and MLM classes build BertModel without its pooler
            encoder = BertModel(cfg, rows, pooler=head in ("none", "sequence"))
            if head == "none":
                self._adopt(encoder)
            else:
                self.bert = encoder
            if head == "mlm":
                self.cls = BertMLMHead(cfg, rows, untied_decoder)
        else:
            self.prefix = "" if head == "none" else "model."
            encoder = ModernBertModel(cfg, rows, layer0_attn_norm)
            if head == "none":
                self._adopt(encoder)
            else:
                self.model = encoder
            if head != "none":
                self.head = ModernBertHead(cfg)
            if head == "mlm":
                use_bias = cfg.decoder_bias if decoder_bias is None else decoder_bias
                if untied_decoder:
                    self.decoder = nn.Linear(cfg.hidden_size, rows, bias=use_bias)
                elif use_bias:
                    # tied: the weight is the token embeddings', only the bias is the decoder's own
                    self.decoder = _BiasOnly(rows)
        if head in ("token", "sequence"):
            self.drop = nn.Dropout(cfg.classifier_dropout)
            self.classifier = nn.Linear(cfg.hidden_size, num_labels)

    def _adopt(self, encoder: nn.Module) -> None:
        """A bare encoder saves its tensors without a prefix: its children become ours, and the
        encoder itself is kept outside the module tree so its names are not registered twice."""
        for name, child in encoder.named_children():
            self.add_module(name, child)
        self.__dict__["_bare_encoder"] = encoder

    @property
    def encoder_module(self) -> nn.Module:
        if self.head_kind == "none":
            return self.__dict__["_bare_encoder"]
        return self.bert if self.cfg.model_type == "bert" else self.model

    def encoder_layers(self) -> List[nn.Module]:
        enc = self.encoder_module
        return list(enc.encoder.layer) if self.cfg.model_type == "bert" else list(enc.layers)

    def embeddings_module(self) -> nn.Module:
        return self.encoder_module.embeddings

    def is_encoder_tensor(self, name: str) -> bool:
        """True for state_dict names inside the encoder, False for the task head's."""
        return self.head_kind == "none" or name.startswith(self.prefix)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, token_types: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        cfg = self.cfg
        hidden = self.encoder_module(ids, mask, self.eager, token_types)
        head = self.head_kind
        if head == "none":
            return hidden, None
        if cfg.model_type == "bert":
            if head == "mlm":
                p = self.cls.predictions
                t = p.transform.LayerNorm(activation(p.transform.dense(hidden), cfg.hidden_act))
                w = p.decoder.weight if p.decoder is not None else self.bert.embeddings.word_embeddings.weight
                return hidden, F.linear(t, w, p.bias)
            if head == "token":
                return hidden, self.classifier(self.drop(hidden))
            pooled = torch.tanh(self.bert.pooler.dense(hidden[:, 0]))
            return hidden, self.classifier(self.drop(pooled))
        if head == "mlm":
            t = self.head(hidden)
            dec = getattr(self, "decoder", None)
            w = dec.weight if isinstance(dec, nn.Linear) else self.model.embeddings.tok_embeddings.weight
            b = dec.bias if dec is not None else None
            return hidden, F.linear(t, w, b)
        if head == "token":
            return hidden, self.classifier(self.drop(self.head(hidden)))
        if cfg.classifier_pooling == "cls":
            pooled = hidden[:, 0]
        else:
            m = mask.to(hidden.dtype)[:, :, None]
            pooled = (hidden * m).sum(dim=1) / m.sum(dim=1)
        return hidden, self.classifier(self.drop(self.head(pooled)))
