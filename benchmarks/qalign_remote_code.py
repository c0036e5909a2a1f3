"""Q-Align's own model code through blurscan's qalign scorer, on a tiny model (CPU, seconds).

The test suite uses a stand-in model; this script checks the real code. It
builds a tiny model (2-layer ViT on 56 px frames, 5 tokens a frame, 2-layer
LLaMA, random weights) from the modeling files of the Q-Align repository,
unchanged, and, on the torch and transformers installed here, checks that:

0. without a copy of ``q-future/one-align``'s tokenizer in the Hugging Face
   cache (Q-Align's code loads it by name while the model is built), loading
   fails with one line that says what to fetch;
1. the scorer loads the model folder, or fails with one line that names a
   release that works;
2. window scores from frames encoded once equal the published pattern's
   (``model(input_ids, images=[...])``, last-position logits);
3. the language-model shortcuts stay on, route by spans (no per-token gather
   in the modality-adaptive modules) and compute the prompt's prefix once.

Every run starts from empty caches of its own in a temporary folder
(``HF_HOME``, ``HF_MODULES_CACHE``, offline), as on a fresh machine: the
tiny tokenizer and image processor stand in for ``q-future/one-align``'s in
that Hugging Face cache, and the dynamic-module cache is listed at the end.

Usage::

    git clone https://github.com/Q-Future/Q-Align
    python benchmarks/qalign_remote_code.py --code Q-Align/q_align/model

Needs the ``qalign`` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import numpy as np  # noqa: E402
from qalign_gpu import original_forward  # noqa: E402 - the published pattern, as the GPU benchmark runs it

MODEL_FILES = (
    "configuration_mplug_owl2.py",
    "modeling_mplug_owl2.py",
    "modeling_llama2.py",
    "visual_encoder.py",
    "modeling_attn_mask_utils.py",
)
HUB_ID = "q-future/one-align"  # the tokenizer and image processor Q-Align's code loads by name
AUTO_MAP = {
    "AutoConfig": "configuration_mplug_owl2.MPLUGOwl2Config",
    "AutoModelForCausalLM": "modeling_mplug_owl2.MPLUGOwl2LlamaForCausalLM",
}
TINY = {
    "model_type": "mplug_owl2",
    "architectures": ["MPLUGOwl2LlamaForCausalLM"],
    "auto_map": AUTO_MAP,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "max_position_embeddings": 512,
    "rms_norm_eps": 1e-5,
    "initializer_range": 0.2,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "visual_config": {
        "visual_model": {
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "image_size": 56, "patch_size": 14, "layer_norm_eps": 1e-6,
        },
        "visual_abstractor": {
            "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_learnable_queries": 4, "encoder_hidden_size": 32, "grid_size": 4, "layer_norm_eps": 1e-6,
        },
    },
}


def fresh_caches(folder: Path) -> Path:
    """Point the Hugging Face caches at empty folders under ``folder``, offline; returns the dynamic-module cache.

    transformers reads these variables when it is imported, so this runs first.
    """
    if "transformers" in sys.modules:
        raise RuntimeError("transformers was imported before the caches were set")
    for name in [name for name in os.environ if name.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_"))]:
        del os.environ[name]
    modules = folder / "modules"
    os.environ.update(
        HF_HOME=str(folder / "hf"), HF_HUB_CACHE=str(folder / "hf" / "hub"), HF_MODULES_CACHE=str(modules),
        HF_HUB_OFFLINE="1",
    )
    return modules


def write_hub_copy(folder: Path) -> Path:
    """A tiny tokenizer and image processor as the Hugging Face cache holds ``q-future/one-align``'s; returns the repo."""
    from blurscan.testing.qalign_standin import train_tokenizer, write_image_processor

    repo = Path(os.environ["HF_HUB_CACHE"]) / f"models--{HUB_ID.replace('/', '--')}"
    revision = "0" * 40
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    train_tokenizer(snapshot)
    write_image_processor(snapshot, TINY["visual_config"]["visual_model"]["image_size"])
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    return repo


def write_model(code: Path, folder: Path, hub_copy: Path) -> Path:
    """A loadable tiny model folder made from the Q-Align modeling files in ``code`` (unchanged)."""
    import torch

    from blurscan.scorers.qalign.load import model_classes, remote_code_errors

    folder.mkdir(parents=True)
    for name in MODEL_FILES:
        if not (code / name).is_file():
            raise SystemExit(f"{code} has no {name}; point --code at Q-Align's q_align/model folder")
        shutil.copy(code / name, folder / name)
    snapshot = next((hub_copy / "snapshots").iterdir())
    for file in snapshot.iterdir():
        shutil.copy(file, folder / file.name)
    vocab = _vocab_size(folder)
    (folder / "config.json").write_text(json.dumps({**TINY, "vocab_size": vocab}, indent=1))
    torch.manual_seed(0)
    with remote_code_errors(str(folder)):
        config_class, model_class = model_classes(str(folder))
        model = model_class._from_config(config_class.from_pretrained(folder), attn_implementation="eager")
    model.save_pretrained(folder)
    saved = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**saved, "auto_map": AUTO_MAP}, indent=1))
    return folder


def _vocab_size(folder: Path) -> int:
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model")).get_piece_size()


def without_hub_copy(folder: Path, hub_copy: Path) -> str:
    """The scorer's error when the cache has no copy of ``q-future/one-align`` (the copy is moved aside meanwhile)."""
    from blurscan.errors import BlurscanError
    from blurscan.scorers.qalign import QAlignScorer

    aside = hub_copy.with_name(hub_copy.name + ".aside")
    hub_copy.rename(aside)
    try:
        QAlignScorer(str(folder), device="cpu", dtype="fp32").close()
        return "loads (no error)"
    except BlurscanError as ex:
        return f"fails with: {ex}"
    finally:
        aside.rename(hub_copy)


def check(folder: Path) -> int:
    import torch
    import transformers

    from blurscan.errors import BlurscanError
    from blurscan.scorers.qalign import QAlignScorer
    from blurscan.scorers.qalign.lm import is_multiway

    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    try:
        scorer = QAlignScorer(str(folder), device="cpu", dtype="fp32")
    except BlurscanError as ex:
        print(f"1. load: FAILS with a clear error: {ex}")
        return 1
    print(f"1. load: ok; settings {scorer.settings()}")

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (42, 56, 3), dtype=np.uint8) for _ in range(6)]
    windows = [(max(i - 1, 0), i, min(i + 1, 5)) for i in range(6)]
    features = scorer.encode_frames(images)
    published = np.array(original_forward(torch, scorer, images, windows))

    language_model = scorer.model.get_model()
    multiway = [module for module in language_model.modules() if is_multiway(module)]
    own_forward = type(multiway[0]).forward
    gathers, lengths = [], []

    def counting(self, *args, **kwargs):
        gathers.append(1)
        return own_forward(self, *args, **kwargs)

    def length(module, args, kwargs):
        lengths.append((args[0] if args else kwargs["hidden_states"]).shape[1])

    type(multiway[0]).forward = counting
    handle = language_model.layers[0].register_forward_pre_hook(length, with_kwargs=True)
    try:
        scorer._language_model._prefix = None
        ours = np.array(scorer.score_windows([tuple(features[j] for j in window) for window in windows]))
    finally:
        type(multiway[0]).forward = own_forward
        handle.remove()
    difference = float(np.abs(ours - published).max())
    ok_scores = difference <= 1e-5
    print(f"2. scores, frames encoded once vs the published pattern: max |difference| {difference:.1e} "
          f"({'ok' if ok_scores else 'DIFFERENT'})")
    shortcuts = scorer.settings()["lm_shortcuts"]
    ok_shortcuts = shortcuts and not gathers and len(lengths) == 2
    print(f"3. shortcuts {'on' if shortcuts else 'OFF'}; {len(multiway)} modality-adaptive modules, "
          f"{len(gathers)} per-token gathers; first layer's input lengths {lengths} (prefix once, then the rest) "
          f"({'ok' if ok_shortcuts else 'NOT USED'})")
    return 0 if ok_scores and ok_shortcuts else 1


def main(argv=None) -> int:
    from blurscan.errors import ModelError

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, required=True, help="Q-Align's q_align/model folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qalign_remote_code_") as tmp:
        modules = fresh_caches(Path(tmp))
        print(f"empty caches in {tmp} (HF_HOME, HF_MODULES_CACHE), offline")
        hub_copy = write_hub_copy(Path(tmp))
        try:
            folder = write_model(args.code.resolve(), Path(tmp) / "model", hub_copy)
        except ModelError as ex:
            print(f"the tiny model cannot even be built: {ex}")
            return 1
        print(f"0. without {HUB_ID}'s tokenizer in the cache: {without_hub_copy(folder, hub_copy)}")
        result = check(folder)
        written = sorted(str(path.relative_to(modules)) for path in modules.rglob("*") if path.is_file())
        print(f"dynamic-module cache afterwards: {len(written)} files {written}")
        return result


if __name__ == "__main__":
    sys.exit(main())
