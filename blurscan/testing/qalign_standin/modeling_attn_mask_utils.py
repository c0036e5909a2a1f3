"""The causal attention mask of the stand-in's language model, as Q-Align's ``modeling_attn_mask_utils.py``.

Q-Align's code reaches this file only through ``modeling_llama2``: a nested
relative import, which transformers 4.36-4.37 do not copy for a local folder.
"""

import torch

#: added to each token's attention to itself (0, as in LLaMA). A stand-in knob: the tests give a
#: second copy of the code another value and tell the copies apart by their scores.
SELF_ATTENTION_BIAS = 0.0


def _prepare_4d_causal_attention_mask(attention_mask, batch, length, past_length, dtype, device):
    """Additive mask (batch, 1, length, past_length + length): 0 where a token may attend, else the dtype's minimum."""
    smallest = torch.finfo(dtype).min
    mask = torch.full((length, past_length + length), smallest, dtype=dtype, device=device).triu(past_length + 1)
    if SELF_ATTENTION_BIAS:
        rows = torch.arange(length, device=device)
        mask[rows, rows + past_length] += SELF_ATTENTION_BIAS
    mask = mask[None, None].expand(batch, 1, length, past_length + length)
    if attention_mask is not None:
        padding = (attention_mask[:, None, None, :] == 0).to(device)
        mask = mask.masked_fill(padding, smallest)
    return mask
