"""The stand-in's modality-adaptive LLaMA, as Q-Align's ``modeling_llama2.py``.

Its layers, and the language model's forward (embeddings, causal mask, layers,
norm), which the model class takes from :class:`LlamaLanguageModel` as Q-Align's
takes it from its patched ``LlamaModel``.
"""

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers.modeling_outputs import BaseModelOutputWithPast

from .modeling_attn_mask_utils import _prepare_4d_causal_attention_mask


def _output(cls, cache, **fields):
    """``cls(**fields)`` with the key/value cache under the name this transformers release uses."""
    names = {field.name for field in dataclasses.fields(cls)}
    if cache is not None:
        fields["cache" if "cache" in names else "past_key_values"] = cache
    return cls(**fields)


class LlamaRMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


class MultiwayNetwork(nn.Module):
    """One copy of a module per modality (0 = text, 1 = image); each token goes through its own."""

    def __init__(self, make, ways=2):
        super().__init__()
        self.multiway = nn.ModuleList([make() for _ in range(ways)])

    def forward(self, x, modality):
        out = None
        for index, module in enumerate(self.multiway):
            where = (modality == index).nonzero(as_tuple=True)
            if where[0].numel() == 0:
                continue
            y = module(x[where])
            if out is None:
                out = x.new_empty(x.shape[:-1] + y.shape[-1:])
            out[where] = y
        return out


def _rotate_half(x):
    first, second = x.chunk(2, dim=-1)
    return torch.cat([-second, first], dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        size = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = size // config.num_attention_heads
        self.q_proj = nn.Linear(size, size, bias=False)
        self.k_proj = MultiwayNetwork(lambda: nn.Linear(size, size, bias=False))
        self.v_proj = MultiwayNetwork(lambda: nn.Linear(size, size, bias=False))
        self.o_proj = nn.Linear(size, size, bias=False)

    def _heads(self, x):
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, modality, mask, cos, sin, past, use_cache):
        q = self._heads(self.q_proj(hidden_states))
        k = self._heads(self.k_proj(hidden_states, modality))
        v = self._heads(self.v_proj(hidden_states, modality))
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        weights = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        if mask is not None:
            weights = weights + mask
        weights = torch.softmax(weights, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(hidden_states.shape)
        return self.o_proj(out), ((k, v) if use_cache else None)


class LlamaMLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        size, eps = config.hidden_size, config.rms_norm_eps
        self.input_layernorm = MultiwayNetwork(lambda: LlamaRMSNorm(size, eps))
        self.self_attn = LlamaAttention(config)
        self.post_attention_layernorm = MultiwayNetwork(lambda: LlamaRMSNorm(size, eps))
        self.mlp = LlamaMLP(config)

    def forward(self, hidden_states, modality, mask, cos, sin, past, use_cache):
        attended, present = self.self_attn(
            self.input_layernorm(hidden_states, modality), modality, mask, cos, sin, past, use_cache
        )
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.post_attention_layernorm(hidden_states, modality))
        return hidden_states, present


class LlamaLanguageModel:
    """The language model's forward, for a module with ``embed_tokens``, ``layers``, ``norm`` and a LLaMA config."""

    def _rotary(self, positions, dtype):
        head_dim = self.config.hidden_size // self.config.num_attention_heads
        steps = torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32) / head_dim
        inverse = 1.0 / (self.config.rope_theta**steps)
        angles = positions.to(torch.float32)[..., None] * inverse
        angles = torch.cat([angles, angles], dim=-1)[:, None]  # batch, 1, tokens, head_dim
        return angles.cos().to(dtype), angles.sin().to(dtype)

    def forward(
        self,
        input_ids=None,
        modality_indicators=None,
        attention_mask=None,
        position_ids=None,
        past_key_values=None,
        inputs_embeds=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
    ):
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        batch, length = inputs_embeds.shape[:2]
        device, dtype = inputs_embeds.device, inputs_embeds.dtype
        # like the real model's, a cache is a tuple of (key, value) per layer, [batch, heads, tokens, head_dim]
        past_length = past_key_values[0][0].shape[2] if past_key_values is not None else 0
        use_cache = self.config.use_cache if use_cache is None else use_cache
        if modality_indicators is None:
            modality_indicators = torch.zeros((batch, length), dtype=torch.long, device=device)
        if position_ids is None:
            position_ids = torch.arange(past_length, past_length + length, device=device).expand(batch, -1)
        mask = _prepare_4d_causal_attention_mask(attention_mask, batch, length, past_length, dtype, device)
        cos, sin = self._rotary(position_ids, dtype)
        hidden = inputs_embeds
        cache = []
        for index, layer in enumerate(self.layers):
            past = past_key_values[index] if past_key_values is not None else None
            hidden, present = layer(hidden, modality_indicators, mask, cos, sin, past, use_cache)
            cache.append(present)
        hidden = self.norm(hidden)
        return _output(BaseModelOutputWithPast, tuple(cache) if use_cache else None, last_hidden_state=hidden)
