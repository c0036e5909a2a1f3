"""The stand-in's vision tower (a ViT with eager attention) and visual abstractor, as Q-Align's ``visual_encoder.py``."""

import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers.modeling_outputs import BaseModelOutput

# -- vision tower (eager attention, like the real one) ----------------------


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class MplugOwlVisionEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        patches = (c.image_size // c.patch_size) ** 2
        self.patch_embed = nn.Conv2d(3, c.hidden_size, kernel_size=c.patch_size, stride=c.patch_size, bias=False)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.hidden_size))
        self.position_embedding = nn.Parameter(torch.zeros(1, patches + 1, c.hidden_size))
        self.pre_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, pixel_values):
        patches = self.patch_embed(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(patches.shape[0], -1, -1).to(patches.dtype)
        tokens = torch.cat([cls, patches], dim=1)
        tokens = tokens + self.position_embedding[:, : tokens.shape[1]].to(patches.dtype)
        return self.pre_layernorm(tokens)


class MplugOwlVisionAttention(nn.Module):
    """Self-attention with one fused query/key/value projection, computed eagerly."""

    def __init__(self, c):
        super().__init__()
        self.hidden_size = c.hidden_size
        self.num_heads = c.num_attention_heads
        self.head_dim = c.hidden_size // c.num_attention_heads
        self.scale = self.head_dim**-0.5
        self.query_key_value = nn.Linear(c.hidden_size, 3 * c.hidden_size)
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, hidden_states, head_mask=None, output_attentions=False):
        batch, tokens, _ = hidden_states.shape
        qkv = self.query_key_value(hidden_states)
        qkv = qkv.reshape(batch, tokens, self.num_heads, 3, self.head_dim).permute(3, 0, 2, 1, 4)
        query, key, value = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(query, key.transpose(-1, -2)) * self.scale
        probs = torch.softmax(scores, dim=-1)
        if head_mask is not None:
            probs = probs * head_mask
        context = torch.matmul(probs, value).permute(0, 2, 1, 3).reshape(batch, tokens, self.hidden_size)
        return self.dense(context), (probs if output_attentions else None)


class MplugOwlMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c.hidden_size, c.intermediate_size)
        self.activation_fn = QuickGELU()
        self.fc2 = nn.Linear(c.intermediate_size, c.hidden_size)

    def forward(self, x):
        return self.fc2(self.activation_fn(self.fc1(x)))


class MplugOwlVisionEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.self_attn = MplugOwlVisionAttention(c)
        self.post_attention_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.mlp = MplugOwlMLP(c)

    def forward(self, hidden_states):
        attended, _ = self.self_attn(self.input_layernorm(hidden_states))
        hidden_states = hidden_states + attended
        return hidden_states + self.mlp(self.post_attention_layernorm(hidden_states))


class MplugOwlVisionEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([MplugOwlVisionEncoderLayer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, hidden_states):
        for layer in self.layers:
            hidden_states = layer(hidden_states)
        return hidden_states


class MplugOwlVisionModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = MplugOwlVisionEmbeddings(c)
        self.encoder = MplugOwlVisionEncoder(c)
        self.post_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, pixel_values):
        hidden = self.encoder(self.embeddings(pixel_values))
        return BaseModelOutput(last_hidden_state=self.post_layernorm(hidden))


# -- visual abstractor: learnable queries attend to the image tokens --------


class MplugOwlVisualAbstractorLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        dim = c.hidden_size
        self.num_heads = c.num_attention_heads
        self.head_dim = dim // c.num_attention_heads
        self.norm1 = nn.LayerNorm(dim, eps=c.layer_norm_eps)
        self.normk = nn.LayerNorm(dim, eps=c.layer_norm_eps)
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=c.layer_norm_eps)
        self.w1 = nn.Linear(dim, c.intermediate_size)
        self.w3 = nn.Linear(dim, c.intermediate_size)
        self.ffn_ln = nn.LayerNorm(c.intermediate_size, eps=c.layer_norm_eps)
        self.w2 = nn.Linear(c.intermediate_size, dim)

    def _split_heads(self, x):
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, queries, image_tokens, query_pos, key_pos):
        queries = self.norm1(queries)
        keys_in = torch.cat([queries, self.normk(image_tokens)], dim=1)
        q = self._split_heads(self.query(queries + query_pos))
        k = self._split_heads(self.key(keys_in + key_pos))
        v = self._split_heads(self.value(keys_in))
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim), dim=-1)
        context = torch.matmul(probs, v).transpose(1, 2).flatten(2)
        out = queries + self.out_proj(context)
        h = self.norm2(out)
        return out + self.w2(self.ffn_ln(F.silu(self.w1(h)) * self.w3(h)))


class MplugOwlVisualAbstractorModel(nn.Module):
    def __init__(self, c, vision_tokens, language_hidden_size):
        super().__init__()
        queries = c.num_learnable_queries
        self.query_embeds = nn.Parameter(torch.zeros(1, queries, c.hidden_size))
        self.query_pos = nn.Parameter(torch.zeros(1, queries, c.hidden_size))
        self.key_pos = nn.Parameter(torch.zeros(1, queries + vision_tokens, c.hidden_size))
        self.layers = nn.ModuleList([MplugOwlVisualAbstractorLayer(c) for _ in range(c.num_hidden_layers)])
        self.visual_fc = nn.Linear(c.hidden_size, language_hidden_size)
        self.vit_eos = nn.Parameter(torch.zeros(1, 1, language_hidden_size))

    def forward(self, encoder_hidden_states):
        dtype = encoder_hidden_states.dtype
        hidden = self.query_embeds.expand(encoder_hidden_states.shape[0], -1, -1).to(dtype)
        query_pos, key_pos = self.query_pos.to(dtype), self.key_pos.to(dtype)
        for layer in self.layers:
            hidden = layer(hidden, encoder_hidden_states, query_pos, key_pos)
        hidden = self.visual_fc(hidden)
        eos = self.vit_eos.expand(hidden.shape[0], -1, -1).to(hidden.dtype)
        return BaseModelOutput(last_hidden_state=torch.cat([hidden, eos], dim=1))
