"""Q-Align on a GPU: the published scoring patterns against blurscan's qalign scorer, in one process.

Usage::

    python benchmarks/qalign_gpu.py            # one CUDA GPU with >= 40 GB; about 4-6 minutes
    python benchmarks/qalign_gpu.py --tiny     # the tiny stand-in on the CPU, in seconds (CI, review)

Model: the Q-Align-shaped stand-in of ``blurscan.testing.qalign_standin``
(ViT-L/14 at 448 px with eager attention, 64 queries + 1 = 65 tokens per frame,
a 7 B LLaMA-2-shaped modality-adaptive language model, about 8.2 B parameters),
built with random weights directly on the GPU in fp16: the compute and memory
do not depend on the weights' values. It is loaded through the same interface
the scorer uses (``encode_images``, ``prepare_inputs_labels_for_multimodal``).

Clip: frames of a synthetic panning scene at 448 x 252 (16:9, as the decoder
delivers them for a 448 px model), 30 fps, a few injected blurry frames, W = 3.
Every pattern starts from the same uint8 frames in host memory and turns them
into model input with the same GPU normalisation, so only the scoring pattern
differs:

(a) the original: every window of the 60 s clip in one forward, each frame
    encoded once per window that holds it, logits at every position;
(b) the later fixed-batch pattern: batches of 32 windows through the same
    forward, frames encoded per window (timed on the first ``--b-windows``
    windows after one warm-up batch: its speed per batch is constant);
(c) blurscan: ``QAlignScorer`` with batches chosen from free memory and
    measured costs, each frame encoded once, streamed through sliding windows
    as the engine does (decoding aside).

(a)-(c) run with the vision tower's eager attention (as the real model) and
with the SDPA option. (c) also runs on a 10 s and a long clip to show that
its peak memory does not depend on the length; the long clip is 10 min unless
``--budget-s`` would be exceeded, in which case it is shortened and the log
says so. Prints windows/s, peak GPU memory and ratios, then a short table.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import platform
import sys
import tempfile
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from blurscan.pipeline.memory import BatchSizer, run_batched  # noqa: E402
from blurscan.pipeline.windows import sliding_windows  # noqa: E402
from blurscan.testing.synthetic import Blur, blurred, scene_frames  # noqa: E402

GIB = 2**30
TARGET_EAGER = 2.0  # (c) against (b), both with eager vision attention
TARGET_SDPA = 4.0  # (c) with SDPA against (b) as published (eager)
TARGET_OVER_WEIGHTS_GIB = 3.0
FIXED_BATCH = 32


def log(*parts) -> None:
    print(*parts, flush=True)


# -- clip ---------------------------------------------------------------------


def clip_frames(seconds: float, fps: float, width: int, height: int, seed: int = 0):
    """Frames of a panning scene with a blurry burst every 10 s (a generator: no memory per frame)."""
    count = int(round(seconds * fps))
    blurs = [Blur(start, start + 4, "gaussian", 3.0) for start in range(int(5 * fps), count, int(10 * fps))]
    return blurred(scene_frames(count, width, height, pan=1.0, seed=seed), blurs), count


def window_indices(count: int, size: int) -> list[tuple[int, ...]]:
    return [w.indices for w in sliding_windows(range(count), size)]


# -- memory -------------------------------------------------------------------


class Memory:
    """GPU memory readings in bytes (all zero on the CPU)."""

    def __init__(self, torch, device):
        self.torch, self.device = torch, device
        self.cuda = device.type == "cuda"

    def clear(self) -> None:
        gc.collect()
        if self.cuda:
            self.torch.cuda.synchronize(self.device)
            self.torch.cuda.empty_cache()
            self.torch.cuda.reset_peak_memory_stats(self.device)

    def allocated(self) -> int:
        return self.torch.cuda.memory_allocated(self.device) if self.cuda else 0

    def peaks(self) -> tuple[int, int]:
        if not self.cuda:
            return 0, 0
        self.torch.cuda.synchronize(self.device)
        return (self.torch.cuda.max_memory_allocated(self.device), self.torch.cuda.max_memory_reserved(self.device))


# -- the patterns ---------------------------------------------------------------


def original_forward(torch, scorer, frames, windows):
    """Q-Align's published call: per-window pixel tensors, ``model(input_ids, images=...)``, last-position logits."""
    model = scorer.model
    with torch.inference_mode():
        pixels = [scorer.pixel_values([frames[i] for i in window]) for window in windows]
        input_ids = scorer._input_ids.repeat(len(pixels), 1)
        logits = model(input_ids, images=pixels)["logits"][:, -1, scorer.level_ids]
        weights = torch.tensor([1.0, 0.75, 0.5, 0.25, 0.0], dtype=logits.dtype, device=logits.device)
        return (torch.softmax(logits, dim=-1) @ weights).float().tolist()


def run_all_in_one(torch, scorer, memory, frames, windows):
    """(a): every window in one forward. Returns (seconds or None, peak allocated, peak reserved, note)."""
    memory.clear()
    started = time.perf_counter()
    note = ""
    try:
        scores = original_forward(torch, scorer, frames, windows)
        seconds = time.perf_counter() - started
        note = f"{len(scores)} scores"
    except Exception as ex:  # noqa: BLE001 - the out-of-memory is the result
        if not scorer.is_out_of_memory(ex):
            raise
        seconds = None
        note = "out of memory: " + str(ex).splitlines()[0][:160]
        del ex
    peak, reserved = memory.peaks()
    memory.clear()
    return seconds, peak, reserved, note


def run_fixed_batches(torch, scorer, memory, frames, windows, batch=FIXED_BATCH):
    """(b): batches of ``batch`` windows, frames encoded per window; one warm-up batch is not timed."""
    original_forward(torch, scorer, frames, windows[:batch])
    memory.clear()
    scores: list[float] = []
    started = time.perf_counter()
    for start in range(0, len(windows), batch):
        scores += original_forward(torch, scorer, frames, windows[start : start + batch])
    seconds = time.perf_counter() - started
    peak, reserved = memory.peaks()
    return scores, seconds, peak, reserved


def _chunks(items, sizer):
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, sizer.size)):
        yield chunk


def stream(scorer, frames, window_size):
    """(c): the engine's loop without decoding: frames encoded once in batches, windows of shared features."""
    sizer = BatchSizer(scorer.batch_size())
    oom, on_oom = scorer.is_out_of_memory, scorer.on_out_of_memory

    def features():
        for chunk in _chunks(frames, sizer):
            yield from run_batched(scorer.encode_frames, chunk, sizer, oom, on_oom)

    scores = array("d")
    for chunk in _chunks(sliding_windows(features(), window_size), sizer):
        scores.extend(run_batched(scorer.score_windows, [w.items for w in chunk], sizer, oom, on_oom))
    return scores, sizer


def run_blurscan(scorer, memory, frames, window_size):
    memory.clear()
    scorer.reset_peak_memory()
    started = time.perf_counter()
    scores, sizer = stream(scorer, frames, window_size)
    seconds = time.perf_counter() - started
    peak, reserved = memory.peaks()
    return scores, seconds, peak, reserved, sizer


def components(torch, scorer, frames, window_size, repeats=3):
    """Where (c)'s time goes: the vision tower alone (images/s) and the language model alone (windows/s)."""

    def timed(run):
        run()  # warm-up
        if scorer.device.type == "cuda":
            torch.cuda.synchronize(scorer.device)
        started = time.perf_counter()
        for _ in range(repeats):
            run()
        if scorer.device.type == "cuda":
            torch.cuda.synchronize(scorer.device)
        return (time.perf_counter() - started) / repeats

    out = {}
    images = frames[:32]
    with torch.inference_mode():
        pixels = scorer.pixel_values(images)
        out["vision_images_per_s_batch32"] = len(images) / timed(lambda: scorer.model.encode_images(pixels))
    features = scorer.encode_frames(frames[:66])
    windows = [w.items for w in sliding_windows(features, window_size)][:64]
    language_model = scorer._language_model
    shortcuts = language_model.shortcuts
    scores = {}
    for mode in ("model's own pass", "shortcuts"):
        language_model.shortcuts = mode == "shortcuts" and shortcuts
        suffix = "" if mode == "shortcuts" else "_own_pass"
        scores[mode] = np.asarray(scorer.score_windows(windows))
        for batch in (32, 64):
            out[f"language_model_windows_per_s_batch{batch}{suffix}"] = batch / timed(
                lambda batch=batch: scorer.score_windows(windows[:batch])
            )
    language_model.shortcuts = shortcuts
    out["lm_shortcuts_max_difference"] = float(np.max(np.abs(scores["shortcuts"] - scores["model's own pass"])))
    log("  components: " + ", ".join(f"{k} {v:.3g}" for k, v in out.items()))
    return out


# -- main ---------------------------------------------------------------------


def build(args, torch):
    """The stand-in on the device, with its tokenizer and image processor, and the weights' size."""
    from transformers import AutoTokenizer, CLIPImageProcessor

    from blurscan.testing.qalign_standin import build_standin, write_standin

    folder = Path(tempfile.mkdtemp(prefix="qalign_standin_")) / ("tiny" if args.tiny else "full")
    write_standin(folder, "tiny" if args.tiny else "full", weights=False)
    if args.layers:
        config = json.loads((folder / "config.json").read_text())
        config["num_hidden_layers"] = args.layers
        for section in config["visual_config"].values():
            section["num_hidden_layers"] = args.layers
        (folder / "config.json").write_text(json.dumps(config))
    torch.manual_seed(0)
    started = time.perf_counter()
    model = build_standin(folder, device=args.device, dtype=args.torch_dtype)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=False, trust_remote_code=True)
    processor = CLIPImageProcessor.from_pretrained(str(folder))
    parameters = sum(p.numel() for p in model.parameters())
    log(f"model: {parameters / 1e9:.2f} B parameters, {args.dtype}, built on {args.device} "
        f"in {time.perf_counter() - started:.1f} s")
    return model, tokenizer, processor


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny stand-in on the CPU, short clips (seconds)")
    parser.add_argument("--device", default=None, help="default: cuda:0, or cpu with --tiny")
    parser.add_argument("--clip-s", type=float, default=None, help="the clip for (a)-(c) (default 60, --tiny 2)")
    parser.add_argument("--short-s", type=float, default=None, help="short clip for (c)'s memory (default 10, --tiny 1)")
    parser.add_argument("--long-s", type=float, default=None, help="long clip for (c)'s memory (default 600, --tiny 4)")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--window", type=int, default=3)
    parser.add_argument("--b-windows", type=int, default=None, help="windows (b) is timed on (default 320, --tiny 64)")
    parser.add_argument("--budget-s", type=float, default=330.0, help="shorten the long clip to end within this")
    parser.add_argument("--layers", type=int, default=None, help="layers of every stack (quick shape checks only)")
    parser.add_argument("--skip-all-in-one", action="store_true", help="skip (a)")
    parser.add_argument("--skip-components", action="store_true", help="skip timing the vision tower and LM alone")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    began = time.perf_counter()

    import torch
    import transformers

    from blurscan.scorers.qalign import QAlignScorer, set_vision_attention

    args.device = torch.device(args.device or ("cpu" if args.tiny else "cuda:0"))
    if args.device.type == "cuda" and not torch.cuda.is_available():
        log("no CUDA GPU here; run with --tiny for the CPU check")
        return 2
    args.dtype = "fp32" if args.device.type == "cpu" else "fp16"
    args.torch_dtype = torch.float32 if args.dtype == "fp32" else torch.float16
    clip_s = args.clip_s or (1.0 if args.tiny else 60.0)
    short_s = args.short_s or (0.5 if args.tiny else 10.0)
    long_s = args.long_s or (2.0 if args.tiny else 600.0)
    b_windows = args.b_windows or (32 if args.tiny else 320)
    width, height = (96, 54) if args.tiny else (448, 252)

    gpu = torch.cuda.get_device_name(args.device) if args.device.type == "cuda" else platform.processor() or "CPU"
    log(f"device: {gpu}; torch {torch.__version__}, transformers {transformers.__version__}, "
        f"python {platform.python_version()}")
    if args.device.type == "cuda":
        free, total = torch.cuda.mem_get_info(args.device)
        log(f"GPU memory: {total / GIB:.1f} GiB total, {free / GIB:.1f} GiB free")
    memory = Memory(torch, args.device)
    model, tokenizer, processor = build(args, torch)
    memory.clear()
    weights = memory.allocated()
    log(f"weights: {weights / GIB:.2f} GiB allocated on {args.device}")

    frames_iter, count = clip_frames(clip_s, args.fps, width, height)
    frames = list(frames_iter)
    windows = window_indices(count, args.window)
    log(f"clip: {clip_s:g} s at {args.fps:g} fps = {count} frames of {width}x{height}, window {args.window}, "
        f"{len(windows)} windows")
    # a scorer for its prompt, level ids and pixel normalisation, which (a) and (b) share
    base = QAlignScorer.from_components(model, tokenizer, processor, name="stand-in")
    results: dict = {"device": gpu, "torch": torch.__version__, "transformers": transformers.__version__,
                     "weights_gib": weights / GIB, "clip_s": clip_s, "frames": count, "window": args.window,
                     "runs": []}
    rows = []

    def record(pattern, attention, n_windows, seconds, peak, reserved, batch, note=""):
        rate = n_windows / seconds if seconds else None
        entry = {"pattern": pattern, "vision_attention": attention, "windows": n_windows, "seconds": seconds,
                 "windows_per_s": rate, "peak_allocated_gib": peak / GIB, "peak_reserved_gib": reserved / GIB,
                 "over_weights_gib": (peak - weights) / GIB, "batch": batch, "note": note}
        results["runs"].append(entry)
        rows.append(entry)
        speed = f"{rate:8.1f} windows/s" if rate else "     n/a      "
        log(f"  {pattern:<34} {attention:<5} {n_windows:>6} windows  {speed}  peak {peak / GIB:6.2f} GiB "
            f"(+{(peak - weights) / GIB:5.2f} over weights, reserved {reserved / GIB:6.2f})  batch {batch}  {note}")
        return entry

    by = {}
    for attention in ("eager", "sdpa"):
        log(f"\n== vision attention: {attention}")
        set_vision_attention(model, attention)
        if not args.skip_all_in_one:
            seconds, peak, reserved, note = run_all_in_one(torch, base, memory, frames, windows)
            by["a", attention] = record("(a) all windows in one forward", attention, len(windows), seconds, peak,
                                        reserved, len(windows), note)
        timed = windows[:b_windows]
        b_scores, seconds, peak, reserved = run_fixed_batches(torch, base, memory, frames, timed)
        by["b", attention] = record("(b) fixed batches, per-window frames", attention, len(timed), seconds, peak,
                                    reserved, FIXED_BATCH, f"first {len(timed)} of {len(windows)} windows")
        memory.clear()
        scorer = QAlignScorer.from_components(model, tokenizer, processor, vision_attention=attention,
                                              name="stand-in")
        log(f"  (c) measured costs: {json.dumps({k: float(f'{v:.3g}') for k, v in scorer.costs.items()})}; "
            f"language-model shortcuts {'on' if scorer.settings()['lm_shortcuts'] else 'OFF'}")
        c_scores, seconds, peak, reserved, sizer = run_blurscan(scorer, memory, frames, args.window)
        by["c", attention] = record("(c) blurscan, frames encoded once", attention, len(c_scores), seconds, peak,
                                    reserved, f"{scorer.batch_size()} (now {sizer.size})")
        difference = float(np.max(np.abs(np.asarray(c_scores[: len(b_scores)]) - np.asarray(b_scores))))
        log(f"  scores: (c) against (b) on the same {len(b_scores)} windows: max |difference| {difference:.2e}")
        by["c_scores", attention] = np.asarray(c_scores)
        results[f"max_difference_c_vs_b_{attention}"] = difference
        if not args.skip_components:
            results[f"components_{attention}"] = components(torch, scorer, frames, args.window)

    difference = float(np.max(np.abs(by["c_scores", "sdpa"] - by["c_scores", "eager"])))
    results["max_difference_sdpa_vs_eager"] = difference
    log(f"\nscores: (c) with SDPA against (c) with eager vision attention, {count} windows: "
        f"max |difference| {difference:.2e}")

    # (c)'s memory against the clip's length
    log("\n== (c) peak memory against clip length (SDPA vision attention)")
    scorer = QAlignScorer.from_components(model, tokenizer, processor, vision_attention="sdpa", name="stand-in")
    rate = by["c", "sdpa"]["windows_per_s"] or 1.0
    remaining = args.budget_s - (time.perf_counter() - began) - short_s * args.fps / rate - 5
    affordable = max(short_s, remaining * rate / args.fps)
    if long_s > affordable:
        log(f"  the {long_s:g} s clip would take about {long_s * args.fps / rate:.0f} s; "
            f"shortened to {affordable:.0f} s to stay within --budget-s {args.budget_s:g}")
        long_s = float(int(affordable))
    lengths = {}
    for seconds_of_video in (short_s, clip_s, long_s):
        stream_frames, n = clip_frames(seconds_of_video, args.fps, width, height, seed=1)
        scores, seconds, peak, reserved, sizer = run_blurscan(scorer, memory, stream_frames, args.window)
        lengths[seconds_of_video] = peak
        record(f"(c) {seconds_of_video:g} s clip, streamed", "sdpa", len(scores), seconds, peak, reserved,
               scorer.batch_size())
    results["memory_by_length_gib"] = {str(k): v / GIB for k, v in lengths.items()}

    # summary
    def ratio(numerator, denominator):
        a, b = by.get(numerator), by.get(denominator)
        if not a or not b or not a["windows_per_s"] or not b["windows_per_s"]:
            return None
        return a["windows_per_s"] / b["windows_per_s"]

    eager_ratio = ratio(("c", "eager"), ("b", "eager"))
    sdpa_ratio = ratio(("c", "sdpa"), ("b", "eager"))
    sdpa_vs_sdpa = ratio(("c", "sdpa"), ("b", "sdpa"))
    over = max((by["c", a]["peak_allocated_gib"] * GIB - weights) / GIB for a in ("eager", "sdpa"))
    spread = (max(lengths.values()) - min(lengths.values())) / GIB
    results.update(ratio_c_vs_b_eager=eager_ratio, ratio_c_sdpa_vs_b_eager=sdpa_ratio,
                   ratio_c_sdpa_vs_b_sdpa=sdpa_vs_sdpa, c_over_weights_gib=over, c_memory_spread_gib=spread,
                   total_seconds=time.perf_counter() - began)

    def verdict(ok):
        if args.device.type != "cuda":
            return "(targets apply to the GPU run; on a CPU these ratios measure per-call overhead)"
        return "PASS" if ok else "FAIL"

    log("\n" + "=" * 100)
    log(f"Q-Align-shaped stand-in on {gpu}, {args.dtype}; clip {clip_s:g} s x {args.fps:g} fps, W={args.window}; "
        f"weights {weights / GIB:.2f} GiB")
    log(f"{'pattern':<38}{'vision':<7}{'windows':>8}{'windows/s':>11}{'peak GiB':>10}{'+weights':>10}  batch")
    for row in rows:
        rate = f"{row['windows_per_s']:.1f}" if row["windows_per_s"] else ("OOM" if "out of memory" in row["note"] else "-")
        log(f"{row['pattern']:<38}{row['vision_attention']:<7}{row['windows']:>8}{rate:>11}"
            f"{row['peak_allocated_gib']:>10.2f}{row['over_weights_gib']:>10.2f}  {row['batch']}")

    def show(value):
        return f"{value:.2f}x" if value else "n/a"

    log(f"(c)/(b) windows/s, eager vision:            {show(eager_ratio)}  target >= {TARGET_EAGER:g}x  "
        f"{verdict(eager_ratio and eager_ratio >= TARGET_EAGER)}")
    log(f"(c) SDPA / (b) eager (as published):         {show(sdpa_ratio)}  target >= {TARGET_SDPA:g}x  "
        f"{verdict(sdpa_ratio and sdpa_ratio >= TARGET_SDPA)}")
    log(f"(c) SDPA / (b) SDPA (same attention):        {show(sdpa_vs_sdpa)}")
    if args.device.type == "cuda":
        log(f"(c) peak over weights: {over:.2f} GiB  target <= {TARGET_OVER_WEIGHTS_GIB:g}  "
            f"{verdict(over <= TARGET_OVER_WEIGHTS_GIB)}")
        log("(c) peak by clip length: " + ", ".join(f"{k:g} s {v / GIB:.2f} GiB" for k, v in lengths.items())
            + f"  (spread {spread * 1024:.0f} MiB)")
    log(f"scores: (c) vs (b) max |diff| eager {results['max_difference_c_vs_b_eager']:.1e}, "
        f"sdpa {results['max_difference_c_vs_b_sdpa']:.1e}; SDPA vs eager {results['max_difference_sdpa_vs_eager']:.1e}")
    for attention in ("eager", "sdpa"):
        parts = results.get(f"components_{attention}")
        if parts:
            log(f"alone, {attention} vision: vision tower {parts['vision_images_per_s_batch32']:.0f} images/s "
                f"(32 a pass); language model {parts['language_model_windows_per_s_batch32']:.0f} / "
                f"{parts['language_model_windows_per_s_batch64']:.0f} windows/s at batch 32 / 64 "
                f"(the model's own pass: {parts['language_model_windows_per_s_batch32_own_pass']:.0f} / "
                f"{parts['language_model_windows_per_s_batch64_own_pass']:.0f}; scores differ by at most "
                f"{parts['lm_shortcuts_max_difference']:.1e})")
    parts, published = results.get("components_sdpa"), by.get(("b", "eager"))
    if parts and published and published["windows_per_s"] and args.device.type == "cuda":
        ceiling = parts["language_model_windows_per_s_batch64"] / published["windows_per_s"]
        results["ceiling_free_vision_vs_b_eager"] = ceiling
        log(f"with the vision tower for free, (c) would be at most {ceiling:.2f}x (b) eager: "
            "the language model sets the limit")
    log(f"total {time.perf_counter() - began:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
