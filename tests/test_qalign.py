"""The qalign scorer, end to end on a CPU, through the real loading path, with a tiny stand-in model.

The stand-in (``blurscan.testing.qalign_standin``) has Q-Align's interface: a
folder with a config whose ``auto_map`` points at modeling code (loaded with
``trust_remote_code``), ``encode_images`` and ``prepare_inputs_labels_for_multimodal``
with ``IMAGE_TOKEN_INDEX``, a sentencepiece LLaMA tokenizer with BOS and a CLIP
image-processor config. Scores are compared with float32 arithmetic, where
batching changes only the last bits (within 1e-6), while a lost, repeated or
misplaced frame or window moves a score by about 1e-2.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

from blurscan import Scanner, Settings
from blurscan.errors import DeviceError, MissingDependencyError, ModelError, ModelNotFoundError, UsageError
from blurscan.pipeline.memory import BatchSizer, run_batched
from blurscan.pipeline.windows import sliding_windows
from blurscan.scorers import SCORERS, create_scorer
from blurscan.testing.synthetic import Blur, make_clip, scene_frames
from tests.qalign_model import (
    window_scores,
    write_broken_copy,
    write_hub_cache,
    write_hub_tokenizer_copy,
    write_tiny_model,
    write_variant,
)

SAME = 1e-6  # float32: batching and reuse change only the last bits
FP16 = 2e-3  # eager against SDPA vision attention, at half precision's resolution


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny Q-Align stand-in on disk: 2 ViT layers on 56 px frames, 5 tokens per frame, a 2-layer LLaMA."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("sentencepiece")
    return write_tiny_model(tmp_path_factory.mktemp("qalign") / "tiny_qalign")


@pytest.fixture(scope="module")
def scorer(tiny_model):
    from blurscan.scorers.qalign import QAlignScorer

    with QAlignScorer(str(tiny_model), device="cpu", dtype="fp32") as scorer:
        yield scorer


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """24 frames, 96x54, panning, Gaussian blur sigma 3 on frames 10-13."""
    return make_clip(
        tmp_path_factory.mktemp("qalign_media") / "burst.mp4",
        frames=24, width=96, height=54, pan=1.0, seed=5, blurs=[Blur(10, 13, "gaussian", 3.0)],
    )


def frames(count: int = 12, width: int = 80, height: int = 45) -> list[np.ndarray]:
    return list(scene_frames(count, width, height, pan=1.5, seed=7))


def count_encoded_images(scorer):
    """Counts the images that go through the vision tower (a forward hook on it)."""
    counter = {"images": 0, "calls": 0}

    def hook(module, args, output):
        counter["images"] += args[0].shape[0]
        counter["calls"] += 1

    handle = scorer.model.get_model().vision_model.register_forward_hook(hook)
    return counter, handle


def original_scores(scorer, images, window_size=3):
    """Q-Align's published pattern: every window's frames through ``model(input_ids, images=[...])``,
    logits at every position, then the last position's five level logits."""
    import torch

    model = scorer.model
    n = len(images)
    windows = [w.indices for w in sliding_windows(range(n), window_size)]
    with torch.inference_mode():
        pixels = [scorer.pixel_values([images[i] for i in window]) for window in windows]
        logits = model(scorer._input_ids.repeat(len(pixels), 1), images=pixels)["logits"][:, -1, scorer.level_ids]
        weights = torch.tensor([1.0, 0.75, 0.5, 0.25, 0.0], device=logits.device)
        return (torch.softmax(logits.float(), dim=-1) @ weights).cpu().numpy()


def streamed_scores(scorer, images, batch, window_size=3):
    """The engine's pattern: frames encoded once in batches, windows of shared features scored in batches."""
    sizer = BatchSizer(batch)
    features = run_batched(scorer.encode_frames, images, sizer, scorer.is_out_of_memory)
    windows = [w.items for w in sliding_windows(features, window_size)]
    return np.array(run_batched(scorer.score_windows, windows, sizer, scorer.is_out_of_memory))


# -- registration and the prompt --------------------------------------------


def test_registered_without_importing_torch():
    """The plug-in registers on import with torch blocked; building it says what to install."""
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
        "from blurscan.scorers import SCORERS, create_scorer\n"
        "assert 'qalign' in SCORERS and SCORERS.get('qalign').absolute_scale and SCORERS.get('qalign').uses_gpu\n"
        "from blurscan.errors import MissingDependencyError\n"
        "try:\n    create_scorer('qalign')\nexcept MissingDependencyError as ex:\n    print(ex)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "the qalign scorer needs torch and transformers (not installed). "
        "Install with: pip install 'blurscan[qalign]'"
    )
    assert issubclass(MissingDependencyError, ImportError)
    assert "qalign" in SCORERS


def test_prompt_and_level_tokens(scorer):
    from blurscan.scorers.qalign import IMAGE_TOKEN_INDEX, LEVELS, PROMPT, prompt_input_ids

    tokenizer = scorer.tokenizer
    ids = scorer._input_ids[0].tolist()
    assert prompt_input_ids(tokenizer) == ids
    assert ids.count(IMAGE_TOKEN_INDEX) == 1
    assert ids[0] == tokenizer.bos_token_id and ids.count(tokenizer.bos_token_id) == 1
    before, after = PROMPT.split("<|image|>")
    cut = ids.index(IMAGE_TOKEN_INDEX)
    assert ids[:cut] == tokenizer(before).input_ids  # with its BOS
    assert ids[cut + 1 :] == tokenizer(after).input_ids[1:]  # without
    assert scorer.level_ids == [tokenizer(word).input_ids[1] for word in LEVELS]
    assert len(set(scorer.level_ids)) == 5


# -- scores ------------------------------------------------------------------


def test_scores_in_unit_interval_and_respond_to_the_picture(scorer):
    images = frames(12)
    scores = streamed_scores(scorer, images, batch=4)
    assert scores.shape == (12,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores.std() > 1e-3, "scores do not depend on the frames; the equality tests below could not fail"


@pytest.mark.parametrize("window_size", [3, 5])
def test_frame_reuse_equals_the_original_pattern(scorer, window_size):
    images = frames(10)
    reused = streamed_scores(scorer, images, batch=4, window_size=window_size)
    original = original_scores(scorer, images, window_size)
    np.testing.assert_allclose(reused, original, rtol=0, atol=SAME)


def test_language_model_shortcuts_change_no_score(scorer, tiny_model):
    """Span routing and the shared prompt prefix give the model's own scores, and are on by default."""
    from transformers import CLIPImageProcessor

    from blurscan.scorers.qalign import QAlignScorer

    assert scorer.settings()["lm_shortcuts"] is True
    assert scorer.costs["lm_shortcut_difference"] <= SAME
    plain = QAlignScorer.from_components(
        scorer.model, scorer.tokenizer, CLIPImageProcessor.from_pretrained(tiny_model), lm_shortcuts=False
    )
    assert plain.settings()["lm_shortcuts"] is False
    images = frames(10)
    for window_size in (1, 3, 5):
        np.testing.assert_allclose(
            streamed_scores(scorer, images, batch=4, window_size=window_size),
            streamed_scores(plain, images, batch=4, window_size=window_size),
            rtol=0, atol=SAME,
        )


def test_shortcuts_route_by_spans_and_compute_the_prompt_prefix_once(scorer, monkeypatch):
    """No per-token gather (the modality-adaptive modules' own forward) and no prefix token after the first pass."""
    from blurscan.scorers.qalign.lm import is_multiway

    language_model = scorer.model.get_model()
    multiway = [m for m in language_model.modules() if is_multiway(m)]
    assert len(multiway) == 4 * len(language_model.layers)  # two norms, keys, values per layer
    gathers = []
    own_forward = type(multiway[0]).forward
    monkeypatch.setattr(type(multiway[0]), "forward", lambda self, *a: gathers.append(1) or own_forward(self, *a))
    lengths = []
    handle = language_model.layers[0].register_forward_pre_hook(lambda module, args: lengths.append(args[0].shape[1]))
    prefix = scorer._input_ids[0].tolist().index(-200)  # prompt tokens before the image
    scorer._language_model._prefix = None
    try:
        streamed_scores(scorer, frames(6), batch=4, window_size=3)
    finally:
        handle.remove()
    assert gathers == []
    tokens_per_frame = scorer.encode_frames(frames(1))[0].shape[0]
    full = scorer._input_ids.shape[1] - 1 + 3 * tokens_per_frame
    assert lengths == [prefix, full - prefix, full - prefix]  # the prefix once, then two batches without it


def test_shortcuts_turn_off_where_the_model_takes_no_cache(scorer, tiny_model, monkeypatch, caplog):
    """A language model without ``past_key_values`` (other remote code): a warning, then the model's own pass."""
    from transformers import CLIPImageProcessor

    from blurscan.scorers.qalign import QAlignScorer

    language_model = scorer.model.get_model()
    own_forward = language_model.forward

    def forward(*args, past_key_values=None, **kwargs):
        if past_key_values is not None:
            raise TypeError("forward() got an unexpected keyword argument 'past_key_values'")
        return own_forward(*args, **kwargs)

    monkeypatch.setattr(language_model, "forward", forward)
    caplog.set_level("WARNING", logger="blurscan")
    fallback = QAlignScorer.from_components(
        scorer.model, scorer.tokenizer, CLIPImageProcessor.from_pretrained(tiny_model)
    )
    assert fallback.settings()["lm_shortcuts"] is False
    assert "shortcuts turned off: the model's code does not take them (TypeError" in caplog.text
    images = frames(8)
    np.testing.assert_allclose(
        streamed_scores(fallback, images, batch=4), original_scores(scorer, images), rtol=0, atol=SAME
    )


def test_shortcuts_turn_off_where_their_scores_differ(scorer, tiny_model, monkeypatch, caplog):
    from transformers import CLIPImageProcessor

    from blurscan.scorers.qalign import QAlignScorer
    from blurscan.scorers.qalign import lm as qalign_lm

    own_spans = qalign_lm.spans_of
    assert own_spans([0, 0, 1, 1, 0]) == [(0, 2, 0), (2, 4, 1), (4, 5, 0)]
    # every span through the other modality's copy of the modules
    monkeypatch.setattr(qalign_lm, "spans_of", lambda row: [s._replace(way=1 - s.way) for s in own_spans(row)])
    caplog.set_level("WARNING", logger="blurscan")
    wrong = QAlignScorer.from_components(scorer.model, scorer.tokenizer, CLIPImageProcessor.from_pretrained(tiny_model))
    assert wrong.settings()["lm_shortcuts"] is False
    assert "their scores differ from the model's own by" in caplog.text


def test_batch_size_does_not_change_scores(scorer, clip):
    results = {}
    for batch in (1, 3, 8):
        result = Scanner(Settings(scorer="qalign", batch_size=batch), scorer=scorer).scan(clip.path)
        results[batch] = result.scores
    assert len(results[1]) == clip.frames
    np.testing.assert_allclose(results[3], results[1], rtol=0, atol=SAME)
    np.testing.assert_allclose(results[8], results[1], rtol=0, atol=SAME)


@pytest.mark.parametrize("window_size", [3, 5])
def test_each_frame_goes_through_the_vision_tower_once(scorer, clip, window_size):
    counter, handle = count_encoded_images(scorer)
    try:
        result = Scanner(Settings(scorer="qalign", window_size=window_size, batch_size=5), scorer=scorer).scan(clip.path)
    finally:
        handle.remove()
    assert len(result.scores) == clip.frames
    assert counter["images"] == clip.frames  # not window_size x frames
    assert counter["calls"] == -(-clip.frames // 5)


@pytest.mark.slow
def test_out_of_memory_halves_the_batch_and_keeps_every_window_in_order(scorer, clip, monkeypatch):
    import torch

    reference = Scanner(Settings(scorer="qalign", batch_size=1), scorer=scorer).scan(clip.path).scores
    seen = []
    real_score = scorer.score_windows

    def score_windows(windows):
        seen.append(len(windows))
        if len(windows) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_score(windows)

    monkeypatch.setattr(scorer, "score_windows", score_windows)
    scanner = Scanner(Settings(scorer="qalign", batch_size=8), scorer=scorer)
    result = scanner.scan(clip.path)
    assert seen[:3] == [8, 4, 2]
    assert scanner.sizer.size <= 2
    assert any("out of memory" in str(w) for w in result.warnings)
    np.testing.assert_allclose(result.scores, reference, rtol=0, atol=SAME)


def test_out_of_memory_is_recognised(scorer):
    import torch

    assert scorer.is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory."))
    assert scorer.is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"))
    assert not scorer.is_out_of_memory(RuntimeError("shape mismatch"))
    scorer.on_out_of_memory()  # harmless on the CPU


def test_scanner_builds_it_from_settings(tiny_model, clip):
    settings = Settings(
        scorer="qalign", scorer_options={"model": str(tiny_model), "device": "cpu", "dtype": "fp32"}
    )
    with Scanner(settings) as scanner:
        result = scanner.scan(clip.path)
        assert scanner.scorer.batch_size() >= 1
    assert len(result.scores) == clip.frames
    assert np.all((result.scores >= 0) & (result.scores <= 1))
    options = result.to_dict()["settings"]["scorer_options"]
    assert options == {
        "model": str(tiny_model), "device": "cpu", "dtype": "fp32", "vision_attention": "eager", "lm_shortcuts": True
    }
    assert result.to_dict()["settings"]["scorer"] == "qalign"


def test_sdpa_vision_attention_agrees_with_eager(tiny_model):
    from blurscan.scorers.qalign import QAlignScorer, set_vision_attention

    images = frames(8)
    with QAlignScorer(str(tiny_model), device="cpu", dtype="fp32", vision_attention="sdpa") as fused:
        patched = [m for m in fused.model.get_model().vision_model.modules() if "forward" in m.__dict__]
        assert len(patched) == 2  # both vision layers
        sdpa = streamed_scores(fused, images, batch=4)
        set_vision_attention(fused.model, "eager")
        assert not [m for m in fused.model.get_model().vision_model.modules() if "forward" in m.__dict__]
        eager = streamed_scores(fused, images, batch=4)
    np.testing.assert_allclose(sdpa, eager, rtol=0, atol=FP16)


def test_cpu_reports_no_gpu_memory_and_a_small_batch(scorer):
    from blurscan.scorers.qalign import CPU_BATCH

    assert scorer.memory_status() == {}
    assert scorer.peak_memory() == {}
    assert scorer.batch_size() == CPU_BATCH
    assert scorer.frame_format.pixel_format == "rgb24"
    assert scorer.frame_format.size == 56  # the processor's crop size


def test_frames_are_padded_with_the_mean_colour(scorer):
    wide = np.full((28, 56, 3), 7, np.uint8)
    square = scorer._square(wide)
    assert square.shape == (56, 56, 3)
    assert tuple(square[0, 0]) == scorer._fill == (122, 116, 104)
    assert (square[14:42] == 7).all()


def test_closed_scorer_says_so(tiny_model):
    from blurscan.scorers.qalign import QAlignScorer

    scorer = QAlignScorer(str(tiny_model), device="cpu", dtype="fp32")
    streamed_scores(scorer, frames(4), batch=2)
    model = weakref.ref(scorer.model)
    scorer.close()
    scorer.close()
    gc.collect()
    assert model() is None, "a closed scorer still holds its model (and its GPU memory)"
    with pytest.raises(RuntimeError, match="closed"):
        scorer.encode_frames(frames(1))


# -- the model's own code ----------------------------------------------------

#: a copy of the stand-in's code that scores differently (its nested module's knob)
OTHER_BIAS = 2.0

#: a new process with empty caches, offline: score each model named on the command line
FRESH_MACHINE = """
import json, sys
from blurscan.errors import BlurscanError
from blurscan.scorers.qalign import QAlignScorer
from blurscan.testing.synthetic import scene_frames
from tests.qalign_model import window_scores

images = list(scene_frames(6, 80, 45, pan=1.5, seed=7))
results = {}
for model in sys.argv[1:]:
    try:
        with QAlignScorer(model, device="cpu", dtype="fp32") as scorer:
            results[model] = {"scores": window_scores(scorer, images), "shortcuts": scorer.settings()["lm_shortcuts"]}
    except BlurscanError as ex:
        results[model] = {"error": str(ex)}
print(json.dumps(results))
"""


def test_the_standin_code_is_laid_out_as_qaligns(tiny_model):
    """modeling_mplug_owl2 -> modeling_llama2 -> modeling_attn_mask_utils: the import two deep that
    transformers 4.36-4.37 do not copy for a local folder, so the tests meet it as Q-Align's code does."""
    from blurscan.scorers.qalign.remote_code import relative_imports

    def imports(name):
        return relative_imports((tiny_model / f"{name}.py").read_bytes())

    assert "modeling_llama2" in imports("modeling_mplug_owl2")
    assert "modeling_attn_mask_utils" not in imports("modeling_mplug_owl2")
    assert "modeling_attn_mask_utils" in imports("modeling_llama2")


def test_folders_with_the_same_name_each_run_their_own_code(scorer, tiny_model, tmp_path):
    """Two folders named ``model`` whose nested module differs; the same code in two folders is one module."""
    from blurscan.scorers.qalign import QAlignScorer

    same = shutil.copytree(tiny_model, tmp_path / "a" / "model")
    other = write_variant(tiny_model, tmp_path / "b" / "model", OTHER_BIAS)
    images = frames(6)
    reference = np.array(window_scores(scorer, images))
    with QAlignScorer(str(same), device="cpu", dtype="fp32") as first, QAlignScorer(str(other), device="cpu", dtype="fp32") as second:
        first_scores = np.array(window_scores(first, images))
        second_scores = np.array(window_scores(second, images))
        assert type(first.model) is type(scorer.model)
        assert type(second.model) is not type(first.model)
        package = type(second.model).__module__.rpartition(".")[0]
        assert sys.modules[f"{package}.modeling_attn_mask_utils"].SELF_ATTENTION_BIAS == OTHER_BIAS
        assert second.settings()["lm_shortcuts"] is True
    np.testing.assert_allclose(first_scores, reference, rtol=0, atol=SAME)
    assert np.abs(second_scores - reference).max() > 1e-3, "the second folder's code did not change its scores"


def test_a_fresh_machine_loads_local_folders_and_hub_ids(scorer, tiny_model, tmp_path):
    """Empty dynamic-module cache, offline, one process: two local folders named ``model`` with different
    code, and a hub id from a Hugging Face cache; each runs its own code, and nothing goes into the cache.
    A folder whose code loads q-future/one-align's tokenizer by name (as Q-Align's does) says what to fetch."""
    root = Path(__file__).resolve().parent.parent
    first = shutil.copytree(tiny_model, tmp_path / "a" / "model")
    second = write_variant(tiny_model, tmp_path / "b" / "model", OTHER_BIAS)
    hub_id = "blurscan-tests/tiny-qalign"
    write_hub_cache(second, tmp_path / "hf" / "hub", hub_id)
    by_name = write_hub_tokenizer_copy(tiny_model, tmp_path / "c" / "model")
    modules = tmp_path / "modules"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_"))}
    env.update(
        HF_HOME=str(tmp_path / "hf"), HF_HUB_CACHE=str(tmp_path / "hf" / "hub"), HF_MODULES_CACHE=str(modules),
        HF_HUB_OFFLINE="1", PYTHONPATH=os.pathsep.join([str(root), env.get("PYTHONPATH", "")]),
    )
    out = subprocess.run(
        [sys.executable, "-c", FRESH_MACHINE, str(first), str(second), hub_id, str(by_name)],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    results = json.loads(out.stdout.strip().splitlines()[-1])
    missing = results.pop(str(by_name))
    assert "hf download q-future/one-align --include" in missing.get("error", ""), missing
    reference = np.array(window_scores(scorer, frames(6)))
    np.testing.assert_allclose(results[str(first)]["scores"], reference, rtol=0, atol=SAME)
    assert np.abs(np.array(results[str(second)]["scores"]) - reference).max() > 1e-3
    np.testing.assert_allclose(results[hub_id]["scores"], results[str(second)]["scores"], rtol=0, atol=SAME)
    assert all(result["shortcuts"] for result in results.values())
    assert not list(modules.rglob("*.py")), "the model's code went into the dynamic-module cache"


# -- errors ------------------------------------------------------------------


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text
    return text


def test_missing_model_folder(tmp_path):
    pytest.importorskip("torch")
    with pytest.raises(ModelNotFoundError) as info:
        create_scorer("qalign", model=str(tmp_path / "no" / "such" / "folder"), device="cpu")
    message = one_line(info.value)
    assert "does not exist" in message and "hf download q-future/one-align" in message


def test_folder_that_is_not_a_model(tmp_path):
    pytest.importorskip("torch")
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        create_scorer("qalign", model=str(tmp_path), device="cpu")


def test_folder_without_weights(tiny_model, tmp_path):
    import shutil

    folder = tmp_path / "no_weights"
    shutil.copytree(tiny_model, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    with pytest.raises(ModelNotFoundError) as info:
        create_scorer("qalign", model=str(folder), device="cpu", dtype="fp32")
    message = one_line(info.value)
    assert str(folder) in message and "--local-dir" in message


def test_hub_id_missing_from_the_offline_cache(monkeypatch):
    pytest.importorskip("transformers")
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFoundError) as info:
        create_scorer("qalign", model="blurscan-tests/no-such-model", device="cpu")
    message = one_line(info.value)
    assert "HF_HUB_OFFLINE=1" in message and "hf download" in message


def test_a_hub_id_not_in_the_cache_fails_at_once_without_the_network(tmp_path, clean_clip):
    """An empty cache, no offline flag, a hub that would never answer: one line within seconds, no retries or
    warnings, naming the command that fetches the weights."""
    pytest.importorskip("transformers")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_ENDPOINT="http://10.255.255.1", PYTHONPATH=os.getcwd())
    proc = subprocess.run([sys.executable, "-m", "blurscan", "detect", str(clean_clip.path), "--scorer", "qalign"],
                          capture_output=True, text=True, env=env, timeout=60)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: q-future/one-align is not in the Hugging Face cache")
    assert "hf download q-future/one-align" in lines[0] and str(tmp_path / "hf") in lines[0]


def test_no_cuda_device(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError) as info:
        create_scorer("qalign", device="cuda:0")
    assert "--device cpu" in one_line(info.value)


def test_cuda_index_out_of_range(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DeviceError, match="cuda:0 to cuda:0"):
        create_scorer("qalign", device="cuda:3")


def test_auto_device_without_gpu_warns_that_it_is_slow(tiny_model, monkeypatch, caplog):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with create_scorer("qalign", model=str(tiny_model), device="auto", dtype="fp32") as scorer:
        assert scorer.settings()["device"] == "cpu"
    assert any("very slow" in r.getMessage() for r in caplog.records if r.name == "blurscan")


@pytest.mark.parametrize("options", [{"device": "tpu"}, {"dtype": "int8"}, {"vision_attention": "flash"}])
def test_bad_options(options):
    pytest.importorskip("torch")
    with pytest.raises(UsageError):
        create_scorer("qalign", **options)


@pytest.mark.parametrize(
    "breakage, reason",
    [("mlp_bias", "mlp_bias"), ("layer_idx", "'layer_idx'"), ("sdpa_mask", "_prepare_4d_causal_attention_mask_for_sdpa")],
)
def test_known_transformers_breakages_name_a_release_that_works(tiny_model, tmp_path, breakage, reason):
    from blurscan.scorers.qalign import QAlignScorer

    broken = write_broken_copy(tiny_model, tmp_path / f"broken_{breakage}", breakage)
    with pytest.raises(ModelError) as info:
        QAlignScorer(str(broken), device="cpu", dtype="fp32")
    message = one_line(info.value)
    assert "does not run on transformers" in message
    assert reason in message
    assert "pip install 'transformers==4.36.1'" in message


def test_code_in_another_repository_is_refused(tiny_model, tmp_path):
    from blurscan.scorers.qalign import QAlignScorer

    folder = shutil.copytree(tiny_model, tmp_path / "elsewhere")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"]["AutoModelForCausalLM"] = "someone/else--modeling_mplug_owl2.MPLUGOwl2LlamaForCausalLM"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="code outside its own folder"):
        QAlignScorer(str(folder), device="cpu", dtype="fp32")


def test_remote_code_needing_a_missing_package(tiny_model, tmp_path):
    from blurscan.scorers.qalign import QAlignScorer

    broken = write_broken_copy(tiny_model, tmp_path / "broken_import", "missing_package")
    with pytest.raises(ModelError) as info:
        QAlignScorer(str(broken), device="cpu", dtype="fp32")
    assert "pip install blurscan_test_missing_package" in one_line(info.value)


# -- on a GPU ----------------------------------------------------------------


@pytest.mark.gpu
def test_gpu_half_precision(tiny_model):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    from blurscan.scorers.qalign import QAlignScorer, set_vision_attention

    images = frames(12)
    with QAlignScorer(str(tiny_model), device="cuda:0", dtype="fp16") as scorer:
        memory = scorer.memory_status()
        assert set(memory) == {"gpu_allocated_mb", "gpu_reserved_mb", "gpu_total_mb"}
        assert 1 <= scorer.batch_size() <= 64
        assert scorer.settings()["lm_shortcuts"] is True  # they agree with the model's own pass in fp16
        scorer.reset_peak_memory()
        eager = streamed_scores(scorer, images, batch=5)
        assert set(scorer.peak_memory()) == {"peak_gpu_allocated_mb", "peak_gpu_reserved_mb"}
        set_vision_attention(scorer.model, "sdpa")
        sdpa = streamed_scores(scorer, images, batch=5)
        original = original_scores(scorer, images)
    assert np.all((eager >= 0) & (eager <= 1))
    np.testing.assert_allclose(sdpa, eager, rtol=0, atol=FP16)
    np.testing.assert_allclose(eager, original, rtol=0, atol=FP16)
