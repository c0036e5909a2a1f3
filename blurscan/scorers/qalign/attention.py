"""mPLUG-Owl2's vision attention, as written (eager) or through PyTorch's fused kernel (``sdpa``).

Eager attention materialises a 1025 x 1025 map per head and image (about
150 MB per 448 px frame in fp16); ``scaled_dot_product_attention`` does not.
Only the attention product changes: the projections and their weights are the
model's, and eager is restored by dropping the instance's forward.
"""

from __future__ import annotations

from blurscan.errors import ModelError

VISION_ATTENTION = ("eager", "sdpa")


def _vision_attention_modules(model) -> list:
    """The vision tower's self-attention modules (fused ``query_key_value``, then ``dense``)."""
    tower = getattr(model.get_model(), "vision_model", None)
    if tower is None:
        return []
    return [
        module
        for module in tower.modules()
        if hasattr(module, "query_key_value") and hasattr(module, "dense") and hasattr(module, "num_heads")
    ]


def set_vision_attention(model, mode: str) -> str:
    """Run the vision tower's attention eagerly (as written) or through ``scaled_dot_product_attention``."""
    modules = _vision_attention_modules(model)
    if mode == "sdpa" and not modules:
        raise ModelError(
            "vision_attention='sdpa' does not recognise this model's vision attention; use vision_attention='eager'."
        )
    for module in modules:
        module.__dict__.pop("forward", None)  # back to the class's own (eager) forward
        if mode == "sdpa":
            module.forward = _sdpa_forward.__get__(module)
    return mode


def _sdpa_forward(self, hidden_states, head_mask=None, output_attentions=False):
    """mPLUG-Owl2's vision self-attention, with the attention product fused."""
    if head_mask is not None or output_attentions:
        return type(self).forward(self, hidden_states, head_mask=head_mask, output_attentions=output_attentions)
    import torch.nn.functional as F

    batch, tokens, width = hidden_states.shape
    qkv = self.query_key_value(hidden_states)
    qkv = qkv.reshape(batch, tokens, self.num_heads, 3, width // self.num_heads).permute(3, 0, 2, 1, 4)
    context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], scale=getattr(self, "scale", None))
    context = context.transpose(1, 2).reshape(batch, tokens, width)
    return self.dense(context), None
