"""Tiny Q-Align models on disk for the qalign tests: the working stand-in, copies that fail the way
Q-Align's remote code fails on transformers releases it was not written for, a copy with other code,
and a Hugging Face cache holding one."""

from __future__ import annotations

import shutil
from pathlib import Path

from blurscan.testing.qalign_standin import write_standin

#: where a broken copy fails, and with what, as Q-Align's own code does on other transformers releases
BREAKAGES = {
    # transformers 4.41+: LlamaMLP reads config.mlp_bias, which Q-Align's config lacks
    "mlp_bias": ("init", "AttributeError(\"'MPLUGOwl2Config' object has no attribute 'mlp_bias'\")"),
    # transformers < 4.36: LlamaModel builds decoder layers without the index Q-Align's layers need
    "layer_idx": ("init", "TypeError(\"LlamaDecoderLayer.__init__() missing 1 required positional argument: 'layer_idx'\")"),
    # transformers 4.36+ with SDPA attention: a helper Q-Align's code calls but never imports
    "sdpa_mask": ("forward", "NameError(\"name '_prepare_4d_causal_attention_mask_for_sdpa' is not defined\")"),
    # the remote code imports a package that is not installed (Q-Align's imports icecream)
    "missing_package": ("import", None),
}


def write_tiny_model(folder: str | Path) -> Path:
    """The tiny stand-in (config with auto_map, modeling code, sentencepiece tokenizer, CLIP processor)."""
    return write_standin(folder, "tiny")


def write_broken_copy(model: Path, folder: str | Path, breakage: str) -> Path:
    """A copy of ``model`` whose modeling code fails as described by ``BREAKAGES[breakage]``."""
    where, error = BREAKAGES[breakage]
    folder = Path(folder)
    shutil.copytree(model, folder)
    code = folder / "modeling_mplug_owl2.py"
    text = code.read_text()
    if where == "import":
        text = "from blurscan_test_missing_package import ic\n" + text  # as Q-Align's `from icecream import ic`
    elif where == "init":
        text += (
            "\n\ndef _broken_init(self, config):\n"
            f"    raise {error}\n\n\n"
            "MPLUGOwl2LlamaForCausalLM.__init__ = _broken_init\n"
        )
    else:
        text += (
            "\n\ndef _broken_forward(self, *args, **kwargs):\n"
            f"    raise {error}\n\n\n"
            "MPLUGOwl2LlamaModel.forward = _broken_forward\n"
        )
    code.write_text(text)
    return folder


def write_variant(model: Path, folder: str | Path, self_attention_bias: float) -> Path:
    """A copy of ``model`` whose nested module (``modeling_attn_mask_utils``, two imports deep) differs.

    Its ``SELF_ATTENTION_BIAS`` changes every score, so a test can tell which copy of the code ran.
    """
    folder = Path(folder)
    shutil.copytree(model, folder)
    code = folder / "modeling_attn_mask_utils.py"
    text = code.read_text()
    if "SELF_ATTENTION_BIAS = 0.0\n" not in text:
        raise ValueError(f"{code} has no SELF_ATTENTION_BIAS to change")
    code.write_text(text.replace("SELF_ATTENTION_BIAS = 0.0\n", f"SELF_ATTENTION_BIAS = {self_attention_bias!r}\n"))
    return folder


def write_hub_cache(model: Path, cache: str | Path, repo_id: str, revision: str = "0" * 40) -> Path:
    """``model`` as the Hugging Face cache (``HF_HUB_CACHE``) holds a downloaded repository: refs and a snapshot."""
    repo = Path(cache) / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(model, repo / "snapshots" / revision)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    return repo


def window_scores(scorer, images) -> list[float]:
    """Scores of the windows of three (edges padded with the nearest frame), frames encoded once."""
    features = scorer.encode_frames(images)
    last = len(images) - 1
    return scorer.score_windows([tuple(features[j] for j in (max(i - 1, 0), i, min(i + 1, last))) for i in range(last + 1)])


def write_hub_tokenizer_copy(model: Path, folder: str | Path) -> Path:
    """A copy of ``model`` whose code, as Q-Align's published code, loads ``q-future/one-align``'s tokenizer by name."""
    folder = Path(folder)
    shutil.copytree(model, folder)
    code = folder / "modeling_mplug_owl2.py"
    code.write_text(
        code.read_text()
        + "\n\n_own_init = MPLUGOwl2LlamaForCausalLM.__init__\n\n\n"
        "def _init_with_hub_tokenizer(self, config):\n"
        "    _own_init(self, config)\n"
        "    from transformers import AutoTokenizer\n\n"
        '    self.tokenizer = AutoTokenizer.from_pretrained("q-future/one-align")\n\n\n'
        "MPLUGOwl2LlamaForCausalLM.__init__ = _init_with_hub_tokenizer\n"
    )
    return folder
