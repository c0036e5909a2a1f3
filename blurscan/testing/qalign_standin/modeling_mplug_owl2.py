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

The files are laid out as Q-Align's: this one imports ``visual_encoder`` and
``modeling_llama2``, which imports ``modeling_attn_mask_utils`` (an import two
deep, which transformers 4.36-4.37 miss for a local folder). They are copied
into a model folder next to the configuration and loaded by the scorer as real
weights are, so the tests catch a loader that misses a nested import.
"""

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import CausalLMOutputWithPast

from .configuration_mplug_owl2 import MPLUGOwl2Config
from .modeling_llama2 import LlamaDecoderLayer, LlamaLanguageModel, LlamaRMSNorm, _output
from .visual_encoder import MplugOwlVisionEmbeddings, MplugOwlVisionModel, MplugOwlVisualAbstractorModel

IMAGE_TOKEN_INDEX = -200
IGNORE_INDEX = -100


class _Section:
    """Attribute access to one section of ``config.visual_config``."""

    def __init__(self, values):
        self.layer_norm_eps = 1e-6
        self.__dict__.update(values)


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

class MPLUGOwl2LlamaModel(LlamaLanguageModel, MPLUGOwl2PreTrainedModel):
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
