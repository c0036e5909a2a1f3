"""The Q-Align scorer: loading and version diagnosis (``load``, ``remote_code``), the vision tower's attention
(``attention``), the language-model pass (``lm``) and the scorer itself (``scorer``)."""

from blurscan.scorers.qalign.attention import set_vision_attention
from blurscan.scorers.qalign.scorer import (
    CPU_BATCH,
    DEFAULT_MODEL,
    IMAGE_TOKEN_INDEX,
    LEVELS,
    PROMPT,
    TRANSFORMERS_PIN,
    TRANSFORMERS_THAT_WORK,
    QAlignScorer,
    level_token_ids,
    prompt_input_ids,
)

__all__ = [
    "CPU_BATCH", "DEFAULT_MODEL", "IMAGE_TOKEN_INDEX", "LEVELS", "PROMPT", "TRANSFORMERS_PIN", "TRANSFORMERS_THAT_WORK",
    "QAlignScorer", "level_token_ids", "prompt_input_ids", "set_vision_attention",
]
