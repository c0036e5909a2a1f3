"""Configuration of the Q-Align stand-in (copied into a model folder, loaded with ``trust_remote_code``).

Same fields as the real ``q-future/one-align`` config: LLaMA-2 fields for the
language model plus ``visual_config`` with ``visual_model`` (the ViT) and
``visual_abstractor`` (the query resampler) sections.
"""

from transformers import PretrainedConfig


class MPLUGOwl2Config(PretrainedConfig):
    model_type = "mplug_owl2"

    def __init__(
        self,
        vocab_size=32000,
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        max_position_embeddings=4096,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        initializer_range=0.02,
        visual_config=None,
        use_cache=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=None,
        tie_word_embeddings=False,
        **kwargs,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.max_position_embeddings = max_position_embeddings
        self.rms_norm_eps = rms_norm_eps
        self.rope_theta = rope_theta
        self.initializer_range = initializer_range
        self.use_cache = use_cache
        self.visual_config = visual_config or {
            "visual_model": {
                "hidden_size": 1024,
                "intermediate_size": 4096,
                "num_hidden_layers": 24,
                "num_attention_heads": 16,
                "image_size": 448,
                "patch_size": 14,
                "layer_norm_eps": 1e-6,
            },
            "visual_abstractor": {
                "hidden_size": 1024,
                "intermediate_size": 2816,
                "num_hidden_layers": 6,
                "num_attention_heads": 16,
                "num_learnable_queries": 64,
                "layer_norm_eps": 1e-6,
            },
        }
        super().__init__(
            bos_token_id=bos_token_id,
            eos_token_id=eos_token_id,
            pad_token_id=pad_token_id,
            tie_word_embeddings=tie_word_embeddings,
            **kwargs,
        )
