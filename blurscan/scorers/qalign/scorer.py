"""The Q-Align scorer: the one-align visual-quality model on a GPU, batched by memory.

Q-Align (``q-future/one-align``, an mPLUG-Owl2 model) rates a window of W
frames by reading the video prompt of DESIGN.md and comparing its next-token
logits for five level words. The published code sends every window's frames
through the vision encoder, so each frame is encoded W times, and computes
logits for every position. Here each frame goes through the model's own
``encode_images`` once (:meth:`QAlignScorer.encode_frames`); a window is then
scored by handing those cached tokens to the model's own
``prepare_inputs_labels_for_multimodal`` in place of the encoder output, so
the language model sees exactly the input the original builds, and only the
last position's five level logits are computed. The language-model pass
itself skips the work every window repeats (``qalign_lm``: routing by spans,
the prompt's prefix computed once), checked against the model's own pass at load.

Batch sizes come from free GPU memory and a per-frame and per-window cost
measured once at load; the activations stay within a fixed workspace on top
of the weights, so peak memory does not depend on the video's length.

Loading (the model's own code, device, errors) is in ``qalign_load``, the
vision tower's attention switch in ``qalign_attention``. torch and
transformers are imported only when the scorer is built.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np

from blurscan.errors import ModelError, UsageError
from blurscan.scorers import SCORERS
from blurscan.scorers.base import Scorer
from blurscan.scorers.qalign.attention import VISION_ATTENTION, set_vision_attention
from blurscan.scorers.qalign.lm import AGREEMENT, LanguageModelPass
from blurscan.scorers.qalign.load import (
    DEFAULT_MODEL,
    TRANSFORMERS_PIN,
    TRANSFORMERS_THAT_WORK,
    first_line,
    import_torch,
    load,
    locate,
    remote_code_errors,
    resolve_device,
)
from blurscan.source.convert import FrameFormat

logger = logging.getLogger("blurscan")

IMAGE_TOKEN = "<|image|>"
#: the id mPLUG-Owl2's code replaces by a sample's image tokens
IMAGE_TOKEN_INDEX = -200
PROMPT = "USER: How would you rate the quality of this video?\n<|image|>\nASSISTANT: The quality of the video is"
LEVELS = ("excellent", "good", "fair", "poor", "bad")
LEVEL_WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)

DTYPES = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}

#: GPU memory for activations on top of the weights (keeps the peak within weights + 3 GiB)
WORKSPACE_GIB = 2.5
#: memory left free for the CUDA context and other users of the card
SAFETY_MIB = 512
#: larger batches no longer speed up a 7 B model
MAX_AUTO_BATCH = 64
#: batch size on the CPU, where memory is plentiful and speed does not grow with the batch
CPU_BATCH = 4
#: window size the per-window cost is measured with (the default window)
PROBE_WINDOW = 3

@SCORERS.register
class QAlignScorer(Scorer):
    """Scores windows with Q-Align; each frame's vision tokens are computed once and shared.

    Args:
        model: a local model folder or a Hugging Face id (default ``q-future/one-align``;
            set ``HF_HUB_OFFLINE=1`` to use the cache without the network).
        device: ``auto`` (the first GPU, else the CPU with a warning), ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``fp16`` (as published), ``bf16`` or ``fp32``.
        vision_attention: ``eager`` (the model's own attention) or ``sdpa`` (PyTorch's
            fused scaled-dot-product attention in the vision tower: about twice as fast
            there and a fraction of its memory; equal to eager in float32, not yet
            checked against it in fp16 with the real weights).
        lm_shortcuts: let the language model route by spans and reuse the prompt's
            prefix (:mod:`blurscan.scorers.qalign.lm`); turned off at load, with a
            warning, if they do not give the model's own scores.
    """

    name = "qalign"
    description = "Q-Align (one-align) quality model on a GPU; needs the [qalign] extra and the weights"
    absolute_scale = True
    uses_gpu = True

    def __init__(
        self,
        model: Annotated[str | None, f"model folder or Hugging Face id (default {DEFAULT_MODEL})"] = None,
        device: Annotated[str, "auto, cpu or cuda:N"] = "auto",
        dtype: Annotated[Literal[tuple(DTYPES)], "model precision"] = "fp16",
        vision_attention: Annotated[Literal[VISION_ATTENTION],
                                    "vision-tower attention: eager (as the model ships) or sdpa (faster, less memory)"] = "eager",
        lm_shortcuts: Annotated[bool, "route the language model by spans and reuse the prompt's prefix"] = True,
    ):
        if dtype not in DTYPES:
            raise UsageError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
        if vision_attention not in VISION_ATTENTION:
            raise UsageError(f"vision attention must be one of {', '.join(VISION_ATTENTION)}, not {vision_attention!r}")
        torch = import_torch()
        name = model or DEFAULT_MODEL
        notes: list[str] = []
        target = resolve_device(torch, device, notes)  # a device that cannot work fails first
        source = locate(name)  # then a model that is not there, before any warning
        for note in notes:
            logger.warning("%s", note)
        loaded = load(name, source, target, getattr(torch, DTYPES[dtype]))
        self._setup(*loaded, name=name, vision_attention=vision_attention, lm_shortcuts=lm_shortcuts)

    @classmethod
    def from_components(
        cls,
        model,
        tokenizer,
        image_processor,
        *,
        vision_attention: str = "eager",
        lm_shortcuts: bool = True,
        name: str = "(in memory)",
    ) -> QAlignScorer:
        """A scorer around an already built model, tokenizer and image processor (used by the benchmark)."""
        if vision_attention not in VISION_ATTENTION:
            raise UsageError(f"vision attention must be one of {', '.join(VISION_ATTENTION)}, not {vision_attention!r}")
        import_torch()
        scorer = cls.__new__(cls)
        scorer._setup(
            model, tokenizer, image_processor, name=name, vision_attention=vision_attention, lm_shortcuts=lm_shortcuts
        )
        return scorer

    # -- set-up ----------------------------------------------------------

    def _setup(
        self, model, tokenizer, image_processor, *, name: str, vision_attention: str, lm_shortcuts: bool
    ) -> None:
        import torch

        self._torch = torch
        self.model_name = name
        for method in ("encode_images", "prepare_inputs_labels_for_multimodal", "get_model"):
            if not callable(getattr(model, method, None)):
                raise ModelError(
                    f"{name} has no {method}(); it is not a Q-Align / mPLUG-Owl2 model. "
                    f"Use --model with {DEFAULT_MODEL} or a copy of it."
                )
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = model.device
        self.dtype = model.dtype
        self.vision_attention = set_vision_attention(model, vision_attention)
        self._language_model = LanguageModelPass(model, shortcuts=lm_shortcuts)

        input_ids = prompt_input_ids(tokenizer, PROMPT)
        self._input_ids = torch.tensor([input_ids], dtype=torch.long, device=self.device)
        self.level_ids = level_token_ids(tokenizer, LEVELS)
        head = model.get_output_embeddings()
        self._level_rows = head.weight[self.level_ids].detach().clone()
        self._level_weights = torch.tensor(LEVEL_WEIGHTS, dtype=torch.float32, device=self.device)

        self.image_size = _processor_size(image_processor)
        self._fill = tuple(int(x * 255) for x in image_processor.image_mean)
        self._rescale = float(getattr(image_processor, "rescale_factor", 1 / 255))
        self._mean = torch.tensor(image_processor.image_mean, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self._std = torch.tensor(image_processor.image_std, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)

        self._frames_per_forward = MAX_AUTO_BATCH
        self._auto_batch = CPU_BATCH
        self.costs: dict[str, float] = {}
        with remote_code_errors(name):
            self._check_shortcuts()
            self._measure_costs()

    def _check_shortcuts(self) -> None:
        """Score two probe windows with the language-model shortcuts and without; keep them only if they agree."""
        if not self._language_model.shortcuts:
            return
        rows = np.arange(self.image_size, dtype=np.uint8)
        stripes = np.stack([rows[:, None] ^ rows[None, :]] * 3, axis=-1)
        features = self.encode_frames([stripes, 255 - stripes, stripes.transpose(1, 0, 2)])
        windows = [tuple(features[i % 3] for i in range(k, k + PROBE_WINDOW)) for k in range(2)]
        self._language_model.shortcuts = False
        expected = self.score_windows(windows)
        self._language_model.shortcuts = True
        try:
            got = self.score_windows(windows)
        except Exception as ex:  # noqa: BLE001 - any failure of the shortcuts falls back to the model's pass
            if self.is_out_of_memory(ex):
                raise
            self._language_model.turn_off(f"the model's code does not take them ({first_line(ex)})")
            return
        difference = max(abs(a - b) for a, b in zip(got, expected, strict=True))
        tolerance = AGREEMENT[str(self.dtype).removeprefix("torch.")]
        self.costs["lm_shortcut_difference"] = difference
        if difference > tolerance:
            self._language_model.turn_off(f"their scores differ from the model's own by {difference:.1e}")

    def _measure_costs(self) -> None:
        """Run one frame and one window (catches remote-code breakage now); on a GPU, size the batches.

        The peak memory of a forward grows linearly with its batch, so two small
        probes give the fixed and the per-item cost of encoding and of scoring.
        """
        torch = self._torch
        blank = np.zeros((self.image_size, self.image_size, 3), np.uint8)
        if self.device.type != "cuda":
            feature = self.encode_frames([blank])[0]
            self.score_windows([(feature,)])
            return

        def peak_of(run) -> float:
            torch.cuda.synchronize(self.device)
            start = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            result = run()
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device) - start
            del result
            return float(peak)

        small, large = 1, 3
        encode = {n: peak_of(lambda n=n: self._encode([blank] * n)) for n in (small, large)}
        feature = self._encode([blank])[0]
        window = (feature,) * PROBE_WINDOW
        score = {n: peak_of(lambda n=n: self.score_windows([window] * n)) for n in (small, large)}
        per_frame = max(1.0, (encode[large] - encode[small]) / (large - small))
        per_window = max(1.0, (score[large] - score[small]) / (large - small))
        gc.collect()
        torch.cuda.empty_cache()
        free, total = torch.cuda.mem_get_info(self.device)
        workspace = min(WORKSPACE_GIB * 2**30, max(0.0, (free - SAFETY_MIB * 2**20) * 0.9))
        fixed_frame = max(0.0, encode[small] - per_frame)
        fixed_window = max(0.0, score[small] - per_window)
        self._frames_per_forward = _clamp((workspace - fixed_frame) // per_frame)
        self._auto_batch = _clamp((workspace - fixed_window) // per_window)
        self.costs.update({
            "per_frame_mb": per_frame / 2**20,
            "per_window_mb": per_window / 2**20,
            "workspace_mb": workspace / 2**20,
            "free_mb": free / 2**20,
            "frames_per_forward": self._frames_per_forward,
            "auto_batch": self._auto_batch,
        })
        logger.info(
            "qalign: %.0f MiB per frame, %.0f MiB per window; batches of %d windows, %d frames per encoder pass",
            per_frame / 2**20, per_window / 2**20, self._auto_batch, self._frames_per_forward,
        )

    # -- Scorer interface ------------------------------------------------

    @property
    def frame_format(self) -> FrameFormat:
        return FrameFormat("rgb24", self.image_size, fit="longest", upscale=True, interpolation="bicubic")

    def encode_frames(self, images: Sequence[np.ndarray]) -> list[Any]:
        """Each frame's language-model tokens (kept on the device), through the model's ``encode_images``."""
        return self._encode(images)

    def score_windows(self, windows: Sequence[Sequence[Any]]) -> list[float]:
        torch = self._torch
        model = self._live_model()
        with torch.inference_mode():
            samples = [torch.stack(tuple(window)) for window in windows]
            input_ids = self._input_ids.expand(len(samples), -1)
            with _cached_image_tokens(model):
                _, modality, attention_mask, _, embeds, _ = model.prepare_inputs_labels_for_multimodal(
                    input_ids, None, None, None, samples
                )
            last = self._language_model.last_hidden(embeds, modality, attention_mask)
            logits = last @ self._level_rows.T
            probabilities = torch.softmax(logits.float(), dim=-1)
            return (probabilities @ self._level_weights).tolist()

    def batch_size(self) -> int:
        return self._auto_batch

    def is_out_of_memory(self, error: BaseException) -> bool:
        torch = self._torch
        if isinstance(error, (torch.cuda.OutOfMemoryError, MemoryError)):
            return True
        return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()

    def on_out_of_memory(self) -> None:
        gc.collect()
        if self.device.type == "cuda":
            self._torch.cuda.empty_cache()

    def memory_status(self) -> dict[str, float]:
        if self.device.type != "cuda":
            return {}
        cuda = self._torch.cuda
        return {
            "gpu_allocated_mb": cuda.memory_allocated(self.device) / 2**20,
            "gpu_reserved_mb": cuda.memory_reserved(self.device) / 2**20,
            "gpu_total_mb": cuda.get_device_properties(self.device).total_memory / 2**20,
        }

    def peak_memory(self) -> dict[str, float]:
        if self.device.type != "cuda":
            return {}
        cuda = self._torch.cuda
        return {
            "peak_gpu_allocated_mb": cuda.max_memory_allocated(self.device) / 2**20,
            "peak_gpu_reserved_mb": cuda.max_memory_reserved(self.device) / 2**20,
        }

    def reset_peak_memory(self) -> None:
        if self.device.type == "cuda":
            self._torch.cuda.reset_peak_memory_stats(self.device)

    def settings(self) -> dict[str, Any]:
        dtype = {v: k for k, v in DTYPES.items()}.get(str(self.dtype).removeprefix("torch."), str(self.dtype))
        return {
            "model": self.model_name,
            "device": str(self.device),
            "dtype": dtype,
            "vision_attention": self.vision_attention,
            "lm_shortcuts": self._language_model.shortcuts,
        }

    def close(self) -> None:
        model = getattr(self, "model", None)
        if model is None:
            return
        self.model = None
        self._level_rows = None
        self._language_model.release()
        del model
        gc.collect()
        if self.device.type == "cuda":
            self._torch.cuda.empty_cache()

    # -- helpers ---------------------------------------------------------

    def _live_model(self):
        if self.model is None:
            raise RuntimeError("this qalign scorer was closed; build a new one")
        return self.model

    def pixel_values(self, images: Sequence[np.ndarray]):
        """The model's input for ``images``: padded square, rescaled and normalised as its processor does."""
        torch = self._torch
        squares = np.stack([self._square(image) for image in images])
        with torch.inference_mode():
            pixels = torch.from_numpy(squares).to(self.device).permute(0, 3, 1, 2).float() * self._rescale
            return ((pixels - self._mean) / self._std).to(self.dtype)

    def _encode(self, images: Sequence[np.ndarray]) -> list[Any]:
        model = self._live_model()
        features: list[Any] = []
        with self._torch.inference_mode():
            for start in range(0, len(images), self._frames_per_forward):
                pixels = self.pixel_values(images[start : start + self._frames_per_forward])
                features.extend(model.encode_images(pixels).unbind(0))
        return features

    def _square(self, image: np.ndarray) -> np.ndarray:
        """Pad to a square with the processor's mean colour (as Q-Align's ``expand2square``), at the model's size."""
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"the qalign scorer needs RGB frames (height, width, 3), got shape {image.shape}")
        height, width = image.shape[:2]
        side = max(height, width)
        if height != width:
            square = np.empty((side, side, 3), np.uint8)
            square[:] = self._fill
            top, left = (side - height) // 2, (side - width) // 2
            square[top : top + height, left : left + width] = image
            image = square
        if side != self.image_size:
            import cv2

            image = cv2.resize(image, (self.image_size, self.image_size), interpolation=cv2.INTER_CUBIC)
        return image


# -- prompt and levels -------------------------------------------------------


def prompt_input_ids(tokenizer, prompt: str = PROMPT) -> list[int]:
    """Token ids of ``prompt`` with ``IMAGE_TOKEN_INDEX`` where ``<|image|>`` is, as mPLUG-Owl2 builds them.

    Each text piece is tokenised on its own; the first piece keeps its BOS and
    the later pieces lose theirs.
    """
    pieces = [tokenizer(piece).input_ids if piece else [] for piece in prompt.split(IMAGE_TOKEN)]
    bos = tokenizer.bos_token_id
    strip = 1 if pieces and pieces[0] and pieces[0][0] == bos else 0
    ids = [bos] if strip else []
    for index, piece in enumerate(pieces):
        if index:
            ids.append(IMAGE_TOKEN_INDEX)
        ids.extend(piece[strip:])
    return ids


def level_token_ids(tokenizer, levels: Sequence[str] = LEVELS) -> list[int]:
    """The id of each level word: the first token after BOS, as Q-Align reads it."""
    ids = []
    for word in levels:
        tokens = tokenizer(word).input_ids
        if len(tokens) < 2 or tokens[0] != tokenizer.bos_token_id:
            raise ModelError(
                f"the tokenizer does not start {word!r} with BOS ({tokens}); Q-Align's level tokens cannot be read. "
                "Use the tokenizer that ships with the model."
            )
        ids.append(tokens[1])
    if len(set(ids)) != len(ids):
        raise ModelError(f"the level words {list(levels)} share token ids {ids}; use the tokenizer that ships with the model.")
    return ids


@contextlib.contextmanager
def _cached_image_tokens(model):
    """Let the model's ``prepare_inputs_labels_for_multimodal`` take already encoded frames.

    It passes the concatenated per-sample frames through ``encode_images``;
    for the duration, that step returns its input, which here are the frames'
    cached tokens, so the rest of the model's own assembly runs unchanged.
    """
    own = model.__dict__.get("encode_images")
    model.encode_images = _identity
    try:
        yield
    finally:
        if own is None:
            del model.encode_images
        else:
            model.encode_images = own


def _identity(tokens):
    return tokens


# -- batch sizes and the processor -------------------------------------------


def _clamp(value: float) -> int:
    return int(max(1, min(MAX_AUTO_BATCH, value)))


def _processor_size(processor) -> int:
    """The square side the processor produces (its crop, else its resize target)."""

    def field(values, key):
        if values is None:
            return None
        return values.get(key) if isinstance(values, dict) else getattr(values, key, None)

    if getattr(processor, "do_center_crop", True):
        side = field(getattr(processor, "crop_size", None), "height")
        if side:
            return int(side)
    side = field(getattr(processor, "size", None), "shortest_edge") or field(getattr(processor, "size", None), "height")
    if not side:
        raise ModelError("the model's image processor gives no image size; use the preprocessor_config.json that ships with it.")
    return int(side)


__all__ = [
    "DEFAULT_MODEL",
    "TRANSFORMERS_PIN",
    "TRANSFORMERS_THAT_WORK",
    "QAlignScorer",
    "level_token_ids",
    "prompt_input_ids",
    "set_vision_attention",
]
