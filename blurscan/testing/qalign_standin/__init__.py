"""A stand-in for the Q-Align model: its interface and shapes, random weights, nothing to download.

The qalign scorer's tests and its GPU benchmark need a model that loads and
runs through the same code path as ``q-future/one-align`` (a folder with a
config whose ``auto_map`` points at modeling code laid out as Q-Align's, a
modeling file importing a module that imports another; a slow LLaMA
tokenizer; a CLIP image-processor config), without the 16 GB of weights.
:func:`write_standin` writes such a folder: ``size="tiny"`` is a few kB and
runs on a CPU in milliseconds;
``size="full"`` has one-align's shapes (ViT-L/14 at 448 px, 65 tokens per
frame, a 7 B LLaMA-2 language model), whose compute and memory do not depend
on the weights' values. The model files live in this package so that the
tests and the benchmark use the same ones.

Needs torch, transformers and sentencepiece (the ``qalign`` extra).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from blurscan.scorers.qalign.load import dtype_argument, model_classes

HERE = Path(__file__).resolve().parent
#: Q-Align's layout: modeling_mplug_owl2 imports modeling_llama2, which imports modeling_attn_mask_utils
MODEL_FILES = (
    "configuration_mplug_owl2.py",
    "modeling_mplug_owl2.py",
    "visual_encoder.py",
    "modeling_llama2.py",
    "modeling_attn_mask_utils.py",
)

#: the video prompt and level words of DESIGN.md; the tokenizer is trained to know them
PROMPT_TEXT = (
    "USER: How would you rate the quality of this video?\n<|image|>\nASSISTANT: The quality of the video is"
)
LEVEL_WORDS = ("excellent", "good", "fair", "poor", "bad")
_FILLER = (
    "the picture looks sharp and clear with fine detail",
    "the frame is blurry soft and out of focus",
    "motion blur smears the edges of the moving camera",
    "rate the quality of this image and this video",
)

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

SIZES = {
    "tiny": {
        "image_size": 56,
        "config": {
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "max_position_embeddings": 512,
            "initializer_range": 0.2,
            "visual_config": {
                "visual_model": {
                    "hidden_size": 32,
                    "intermediate_size": 64,
                    "num_hidden_layers": 2,
                    "num_attention_heads": 4,
                    "image_size": 56,
                    "patch_size": 14,
                    "layer_norm_eps": 1e-6,
                },
                "visual_abstractor": {
                    "hidden_size": 32,
                    "intermediate_size": 48,
                    "num_hidden_layers": 2,
                    "num_attention_heads": 4,
                    "num_learnable_queries": 4,
                    "layer_norm_eps": 1e-6,
                },
            },
        },
    },
    # one-align's shapes: LLaMA-2-7B plus a ViT-L/14 at 448 px and a 64-query abstractor
    "full": {
        "image_size": 448,
        "config": {
            "vocab_size": 32000,
            "hidden_size": 4096,
            "intermediate_size": 11008,
            "num_hidden_layers": 32,
            "num_attention_heads": 32,
            "max_position_embeddings": 4096,
            "initializer_range": 0.02,
            "visual_config": {
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
            },
        },
    },
}


def train_tokenizer(folder: str | Path) -> int:
    """Train a small LLaMA-style sentencepiece BPE model (BOS 1, EOS 2, byte fallback) into ``folder``.

    Returns its vocabulary size. The corpus repeats the prompt and the level
    words, so each level word is one piece after BOS, as in LLaMA's vocabulary.
    """
    import io

    import sentencepiece as spm

    folder = Path(folder)
    lines = [PROMPT_TEXT.replace("<|image|>", "").replace("\n", " ")] * 20
    lines += [f"The quality of the video is {word}" for word in LEVEL_WORDS for _ in range(20)]
    lines += [f"{filler} {word}" for filler in _FILLER for word in LEVEL_WORDS]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        model_type="bpe",
        vocab_size=400,
        hard_vocab_limit=False,
        byte_fallback=True,
        split_digits=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    (folder / "tokenizer.model").write_bytes(model.getvalue())
    tokenizer_config = {
        "tokenizer_class": "LlamaTokenizer",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": None,
        "add_bos_token": True,
        "add_eos_token": False,
        "legacy": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 2048,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))
    (folder / "special_tokens_map.json").write_text(
        json.dumps({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, indent=2)
    )
    return spm.SentencePieceProcessor(model_proto=model.getvalue()).get_piece_size()


def write_image_processor(folder: str | Path, image_size: int) -> None:
    """A ``CLIPImageProcessor`` config like one-align's (CLIP mean and std, bicubic, square crop)."""
    config = {
        "image_processor_type": "CLIPImageProcessor",
        "do_resize": True,
        "size": {"shortest_edge": image_size},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": image_size, "width": image_size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": CLIP_MEAN,
        "image_std": CLIP_STD,
        "do_convert_rgb": True,
    }
    (Path(folder) / "preprocessor_config.json").write_text(json.dumps(config, indent=2))


def write_standin(folder: str | Path, size: str = "tiny", *, weights: bool = True, seed: int = 0) -> Path:
    """Write a loadable stand-in model folder and return its path.

    With ``weights=False`` only the code, config, tokenizer and processor are
    written (use :func:`build_standin` to make the model in memory, e.g.
    straight on a GPU, instead of writing and reading 16 GB).
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        shutil.copyfile(HERE / name, folder / name)
    vocab = train_tokenizer(folder)
    write_image_processor(folder, SIZES[size]["image_size"])
    config = {
        "model_type": "mplug_owl2",
        "architectures": ["MPLUGOwl2LlamaForCausalLM"],
        "auto_map": {
            "AutoConfig": "configuration_mplug_owl2.MPLUGOwl2Config",
            "AutoModelForCausalLM": "modeling_mplug_owl2.MPLUGOwl2LlamaForCausalLM",
        },
        "vocab_size": vocab,
        "bos_token_id": 1,
        "eos_token_id": 2,
        **SIZES[size]["config"],
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    if weights:
        import torch

        torch.manual_seed(seed)
        model = build_standin(folder, device="cpu", dtype=torch.float32)
        model.save_pretrained(str(folder))
        # save_pretrained rewrites config.json; keep the auto_map the loader needs
        saved = json.loads((folder / "config.json").read_text())
        saved["auto_map"] = config["auto_map"]
        (folder / "config.json").write_text(json.dumps(saved, indent=2))
    return folder


def build_standin(folder: str | Path, device="cpu", dtype=None):
    """Make the model of ``folder`` with random weights directly on ``device`` (no weight files).

    Its code is imported as the scorer imports it (:func:`~blurscan.scorers.qalign.load.model_classes`).
    """
    import torch

    config_class, model_class = model_classes(str(folder))
    with torch.device(device):
        model = model_class._from_config(config_class.from_pretrained(str(folder)), **dtype_argument(dtype))
    return model.eval()
