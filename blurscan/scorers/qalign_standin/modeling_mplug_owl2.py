"""A model with Q-Align's (mPLUG-Owl2's) interface and compute, for tests and benchmarks.

This is not the real network and has random weights. Its structure and tensor
shapes follow ``q-future/one-align`` (a ViT-L/14 at 448 px with eager
attention, a 64-query visual abstractor giving 65 tokens per image, a
modality-adaptive LLaMA-2 language model with eager attention), and its
interface is the one the real remote code offers and blurscan's ``qalign``
scorer calls: ``encode_images``, ``prepare_inputs_labels_for_multimodal``
(prompts carry ``IMAGE_TOKEN_INDEX`` where a sample's images go) and the
language model behind ``get_model()``, which continues from a cache of
(key, value) tuples per layer as the real one does. ``forward(input_ids,
images=...)`` returns logits for every position, as the original scoring code
expects.

The file is copied into a model folder next to its configuration and loaded
with ``AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)``,
so the loading path is the one real weights take.
"""

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput, BaseModelOutputWithPast, CausalLMOutputWithPast

from .configuration_mplug_owl2 import MPLUGOwl2Config

IMAGE_TOKEN_INDEX = -200
IGNORE_INDEX = -100


def _output(cls, cache, **fields):
    """``cls(**fields)`` with the key/value cache under the name this transformers release uses."""
    names = {field.name for field in dataclasses.fields(cls)}
    if cache is not None:
        fields["cache" if "cache" in names else "past_key_values"] = cache
    return cls(**fields)


class _Section:
    """Attribute access to one section of ``config.visual_config``."""

    def __init__(self, values):
        self.layer_norm_eps = 1e-6
        self.__dict__.update(values)


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


# -- modality-adaptive LLaMA (eager attention, like the real one) -----------


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


class MPLUGOwl2PreTrainedModel(PreTrainedModel):
    config_class = MPLUGOwl2Config
    base_model_prefix = "model"
    _no_split_modules = ["LlamaDecoderLayer", "MplugOwlVisionEncoderLayer"]

    @torch.no_grad()
    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.Embedding)):
            module.weight.normal_(0.0, std)
            if getattr(module, "bias", None) is not None:
                module.bias.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()
        elif isinstance(module, LlamaRMSNorm):
            module.weight.fill_(1.0)
        elif isinstance(module, MplugOwlVisionEmbeddings):
            module.cls_token.normal_(0.0, std)
            module.position_embedding.normal_(0.0, std)
        elif isinstance(module, MplugOwlVisualAbstractorModel):
            for parameter in (module.query_embeds, module.query_pos, module.key_pos, module.vit_eos):
                parameter.normal_(0.0, std)


class MPLUGOwl2LlamaModel(MPLUGOwl2PreTrainedModel):
    """The language model, with the vision tower and abstractor attached as the real one has them."""

    def __init__(self, config):
        super().__init__(config)
        vision = _Section(config.visual_config["visual_model"])
        abstractor = _Section(config.visual_config["visual_abstractor"])
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList([LlamaDecoderLayer(config) for _ in range(config.num_hidden_layers)])
        self.norm = LlamaRMSNorm(config.hidden_size, config.rms_norm_eps)
        self.vision_model = MplugOwlVisionModel(vision)
        vision_tokens = (vision.image_size // vision.patch_size) ** 2 + 1
        self.visual_abstractor = MplugOwlVisualAbstractorModel(abstractor, vision_tokens, config.hidden_size)
        self.post_init()

    def get_input_embeddings(self):
        return self.embed_tokens

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
        smallest = torch.finfo(dtype).min
        mask = torch.full((length, past_length + length), smallest, dtype=dtype, device=device).triu(past_length + 1)
        mask = mask[None, None].expand(batch, 1, length, past_length + length)
        if attention_mask is not None:
            padding = (attention_mask[:, None, None, :] == 0).to(device)
            mask = mask.masked_fill(padding, smallest)
        cos, sin = self._rotary(position_ids, dtype)
        hidden = inputs_embeds
        cache = []
        for index, layer in enumerate(self.layers):
            past = past_key_values[index] if past_key_values is not None else None
            hidden, present = layer(hidden, modality_indicators, mask, cos, sin, past, use_cache)
            cache.append(present)
        hidden = self.norm(hidden)
        return _output(BaseModelOutputWithPast, tuple(cache) if use_cache else None, last_hidden_state=hidden)


class MPLUGOwl2LlamaForCausalLM(MPLUGOwl2PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = MPLUGOwl2LlamaModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_model(self):
        return self.model

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def get_output_embeddings(self):
        return self.lm_head

    def encode_images(self, images):
        """Vision tower, then abstractor: one row of 65 language-model tokens per image."""
        tokens = self.get_model().vision_model(images).last_hidden_state
        return self.get_model().visual_abstractor(encoder_hidden_states=tokens).last_hidden_state

    def prepare_inputs_labels_for_multimodal(self, input_ids, attention_mask, past_key_values, labels, images):
        """Replace each ``IMAGE_TOKEN_INDEX`` in the prompts by the next sample's image tokens.

        ``images`` is a tensor of images (one per image token) or a list of
        per-sample tensors of frames, whose tokens are laid end to end.
        """
        embed = self.get_model().embed_tokens
        if images is None or input_ids.shape[1] == 1:
            return input_ids, torch.zeros_like(input_ids), attention_mask, past_key_values, None, labels
        if isinstance(images, list) or images.ndim == 5:
            frames = torch.cat(list(images), dim=0)
            per_sample = torch.split(self.encode_images(frames), [len(sample) for sample in images], dim=0)
            image_features = [sample.flatten(0, 1) for sample in per_sample]
        else:
            image_features = list(self.encode_images(images))

        embeds, modalities, new_labels = [], [], []
        next_image = 0
        for row, ids in enumerate(input_ids):
            pieces, modality, row_labels = [], [], []
            row_label = labels[row] if labels is not None else None
            while True:
                where = (ids == IMAGE_TOKEN_INDEX).nonzero()
                if where.numel() == 0:
                    break
                cut = int(where[0, 0])
                features = image_features[next_image]
                next_image += 1
                pieces += [embed(ids[:cut]), features]
                modality += [torch.zeros(cut, dtype=torch.long), torch.ones(len(features), dtype=torch.long)]
                if row_label is not None:
                    row_labels += [row_label[:cut], torch.full((len(features),), IGNORE_INDEX, dtype=row_label.dtype)]
                    row_label = row_label[cut + 1 :]
                ids = ids[cut + 1 :]
            if ids.numel():
                pieces.append(embed(ids))
                modality.append(torch.zeros(len(ids), dtype=torch.long))
                if row_label is not None:
                    row_labels.append(row_label)
            embeds.append(torch.cat(pieces, dim=0))
            modalities.append(torch.cat(modality).to(self.device))
            if labels is not None:
                new_labels.append(torch.cat([x.to(self.device) for x in row_labels]))

        longest = max(len(e) for e in embeds)
        new_mask = torch.zeros((len(embeds), longest), dtype=torch.bool, device=self.device)
        for row, e in enumerate(embeds):
            new_mask[row, : len(e)] = True
        padded = any(len(e) != longest for e in embeds)
        embeds = torch.stack([F.pad(e, (0, 0, 0, longest - len(e))) for e in embeds])
        modalities = torch.stack([F.pad(m, (0, longest - len(m))) for m in modalities])
        if labels is not None:
            labels = torch.stack([F.pad(x, (0, longest - len(x)), value=IGNORE_INDEX) for x in new_labels])
        attention_mask = new_mask if (padded or attention_mask is not None) else None
        return None, modalities, attention_mask, past_key_values, embeds, labels

    def forward(
        self,
        input_ids=None,
        attention_mask=None,
        past_key_values=None,
        inputs_embeds=None,
        labels=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        images=None,
        return_dict=None,
    ):
        input_ids, modality, attention_mask, past_key_values, inputs_embeds, labels = (
            self.prepare_inputs_labels_for_multimodal(input_ids, attention_mask, past_key_values, labels, images)
        )
        outputs = self.model(
            input_ids=input_ids,
            modality_indicators=modality,
            attention_mask=attention_mask,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
        )
        logits = self.lm_head(outputs.last_hidden_state)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(
                logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1), ignore_index=IGNORE_INDEX
            )
        cache = outputs.get("cache", outputs.get("past_key_values"))
        return _output(CausalLMOutputWithPast, cache, loss=loss, logits=logits)
