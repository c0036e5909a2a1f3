"""Loading Q-Align: where the model is, which device, its own code, and what to say when it fails.

The model's code (mPLUG-Owl2, in the model folder, named by ``auto_map``) is
imported by :mod:`blurscan.scorers.qalign.remote_code`, not by transformers'
dynamic-module cache: on the transformers releases Q-Align runs on, that cache
misses the code's nested imports for a local folder and mixes up folders that
share a base name. The weights, tokenizer and image processor load as usual.
Q-Align's code breaks on most transformers releases; the known failures are
turned into one line that names a release that works.
"""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

from blurscan.errors import (
    DeviceError,
    MissingDependencyError,
    ModelError,
    ModelNotFoundError,
    OutOfMemoryError,
    UsageError,
)
from blurscan.scorers.qalign.remote_code import auto_map_classes, raised_in_remote_code

logger = logging.getLogger("blurscan")

DEFAULT_MODEL = "q-future/one-align"
#: the transformers release Q-Align pins, and the releases its remote code was seen to run on
TRANSFORMERS_PIN = "4.36.1"
TRANSFORMERS_THAT_WORK = "4.36.x and 4.37.x"
#: what Q-Align's remote code raises on transformers releases it was not written for
REMOTE_CODE_BREAKAGES = (
    "layer_idx",  # before 4.36
    "_prepare_4d_causal_attention_mask",  # 4.36+ when its SDPA path is taken
    "_use_flash_attention_2",  # 4.38 to 4.40
    "mlp_bias",  # 4.41 to 4.48
    "name 'Cache' is not defined",  # 4.49 and later
    "find_pruneable_heads_and_indices",  # 5.x
    "modeling_attn_mask_utils",  # 5.x
)
#: fetches the small files of Q-Align's (tokenizer, processor, configs) its own code reads by hub name
FETCH_FILES_BY_NAME = f"hf download {DEFAULT_MODEL} --include '*.json' '*.model'"


def import_torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as ex:
        raise MissingDependencyError("the qalign scorer", "qalign", "torch and transformers") from ex
    return torch


def resolve_device(torch, device: str, notes: list[str] | None = None):
    """The torch device for ``device``; a device that cannot work raises at once, and what is only slow is
    logged, or added to ``notes`` for the caller to log once the model is found."""
    text = str(device).strip().lower()
    slow = "the qalign scorer on the CPU is very slow (minutes per second of video)"
    say = notes.append if notes is not None else logger.warning
    if text == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda:0")
        say(f"no CUDA GPU found: {slow}. Use --device cuda:0 on a machine with an NVIDIA GPU.")
        return torch.device("cpu")
    if text == "cpu":
        say(f"{slow}; a CUDA GPU is strongly recommended.")
        return torch.device("cpu")
    match = re.fullmatch(r"cuda(?::(\d+))?", text)
    if not match:
        raise UsageError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', not {device!r}")
    index = int(match.group(1) or 0)
    if not torch.cuda.is_available():
        build = "torch is a CPU-only build" if torch.version.cuda is None else f"torch {torch.__version__} sees no GPU"
        raise DeviceError(
            f"--device {device} asks for a CUDA GPU, but none is available ({build}). "
            "Run on a machine with an NVIDIA GPU and a CUDA build of torch, or pass --device cpu (very slow)."
        )
    count = torch.cuda.device_count()
    if index >= count:
        raise DeviceError(f"--device {device} does not exist: this machine has {count} CUDA GPU(s), cuda:0 to cuda:{count - 1}.")
    return torch.device(f"cuda:{index}")


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")


def locate(name: str) -> str:
    """A local model folder, checked; or a Hugging Face id, as its folder in the local cache."""
    path = Path(name).expanduser()
    fetch = f"fetch the weights once with: hf download {DEFAULT_MODEL} --local-dir {name}"
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"{name} has no config.json, so it is not a model folder. Point --model at the folder with "
                f"Q-Align's files (config.json, weights, tokenizer.model), or {fetch}"
            )
        return str(path)
    if path.exists():
        raise ModelNotFoundError(f"{name} is a file; --model wants a model folder or a Hugging Face id such as {DEFAULT_MODEL}.")
    if not _HUB_ID.fullmatch(name) or name.startswith((".", "~")):
        raise ModelNotFoundError(f"model folder {name} does not exist. Check the path, or {fetch}")
    return cached_snapshot(name)


def cached_snapshot(repo_id: str) -> str:
    """The Hugging Face cache's folder of ``repo_id``, found without the network.

    blurscan never downloads a model unasked (Q-Align's weights are about 16 GB): a hub id that is not in
    the cache fails at once, with the command that fetches it, instead of after the hub's retries.
    """
    try:
        from huggingface_hub import constants, try_to_load_from_cache
    except ImportError as ex:
        raise MissingDependencyError("the qalign scorer", "qalign", "huggingface_hub") from ex
    found = try_to_load_from_cache(repo_id, "config.json")
    if isinstance(found, str) and Path(found).is_file():
        return str(Path(found).parent)
    raise ModelNotFoundError(
        f"{repo_id} is not in the Hugging Face cache ({constants.HF_HUB_CACHE}), and blurscan does not download "
        f"models unasked. Fetch the weights once (Q-Align's are about 16 GB) with: hf download {repo_id} "
        "(then every run loads them from the cache, offline: HF_HUB_OFFLINE=1 works too); or pass --model with a "
        "folder that holds them."
    )


def dtype_argument(torch_dtype) -> dict:
    """``dtype=`` on transformers >= 4.56, ``torch_dtype=`` before (the old name warns on new releases)."""
    if torch_dtype is None:
        return {}
    import transformers
    from packaging.version import Version

    key = "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"
    return {key: torch_dtype}


def model_classes(source: str):
    """The config and model classes of ``source`` (a folder or a hub id): from its own code, else transformers' Auto ones.

    The code is read from the folder, or from the Hugging Face cache (downloaded
    if allowed) for a hub id, every file its relative imports reach.
    """
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.utils import cached_file

    folder = Path(source)

    def fetch(filename: str) -> str:
        if folder.is_dir():
            if not (folder / filename).is_file():
                raise FileNotFoundError(f"{folder} has no {filename}, which its code needs")
            return str(folder / filename)
        return cached_file(source, filename)

    classes = auto_map_classes(fetch, ("AutoConfig", "AutoModelForCausalLM"))
    return classes or (AutoConfig, AutoModelForCausalLM)


def load(name: str, source: str, device, torch_dtype):
    """Model, tokenizer and image processor of ``name`` (found at ``source``), with the model on ``device``."""
    from transformers import AutoTokenizer, CLIPImageProcessor

    placement = {}
    try:
        import accelerate  # noqa: F401

        placement = {"device_map": {"": str(device)}}
    except ImportError:
        pass
    with remote_code_errors(name), _hub_errors(name, local=Path(name).expanduser().is_dir()):
        config_class, model_class = model_classes(source)
        # Q-Align's language model only runs with eager attention: its SDPA path calls a function its
        # code never imports. Set on the config: given with a config, transformers 4.36 passes the
        # argument on to the model's __init__, and 4.37 drops "eager" as already set.
        config = config_class.from_pretrained(source, attn_implementation="eager")
        try:
            model = model_class.from_pretrained(
                source,
                config=config,
                **dtype_argument(torch_dtype),
                **placement,
            )
            if not placement:
                model.to(device)
        except Exception as ex:
            if device.type == "cuda" and _is_cuda_oom(ex):
                raise _weights_do_not_fit(device) from ex
            raise
        tokenizer = AutoTokenizer.from_pretrained(source, config=config, use_fast=False, trust_remote_code=True)
        processor = CLIPImageProcessor.from_pretrained(source)
    return model, tokenizer, processor


def _is_cuda_oom(error: BaseException) -> bool:
    return "out of memory" in str(error).lower()


def _weights_do_not_fit(device) -> OutOfMemoryError:
    import torch

    free, total = torch.cuda.mem_get_info(device)
    return OutOfMemoryError(
        f"the Q-Align model does not fit on {device} ({free / 2**30:.1f} of {total / 2**30:.1f} GiB free; "
        "its weights need about 16.5 GiB in fp16). Free the GPU, or use one with at least 24 GB."
    )


@contextlib.contextmanager
def _hub_errors(name: str, local: bool):
    try:
        yield
    except OSError as ex:
        if isinstance(ex, ModelError):
            raise
        reason = first_line(ex)
        if raised_in_remote_code(ex):
            # Q-Align's code, as published, builds its own tokenizer from the hub by name
            raise ModelNotFoundError(
                f"cannot load {name}: its own code loads files from the Hugging Face hub by name while the model "
                f"is built (Q-Align's: the {DEFAULT_MODEL} tokenizer), and the cache has none ({reason}). "
                f"Fetch those small files once with: {FETCH_FILES_BY_NAME}"
            ) from ex
        if local:
            raise ModelNotFoundError(
                f"cannot load the model folder {name} ({reason}). It needs Q-Align's complete files (config.json "
                f"and its code, the weights, tokenizer.model, preprocessor_config.json); fetch them again with: "
                f"hf download {DEFAULT_MODEL} --local-dir {name}"
            ) from ex
        raise ModelNotFoundError(
            f"cannot load {name}: it is not a local folder and the Hugging Face cache has no usable copy ({reason}). "
            f"Fetch the weights once (Q-Align's are about 16 GB) with: hf download {name}; then runs work offline with "
            "HF_HUB_OFFLINE=1. Or pass --model with a folder that holds them."
        ) from ex


@contextlib.contextmanager
def remote_code_errors(name: str):
    """Turn the known failures of Q-Align's own code on unsupported transformers releases into one line."""
    try:
        yield
    except (ImportError, AttributeError, NameError, TypeError) as ex:
        import transformers

        text = str(ex)
        missing = re.search(r"requires the following packages that were not found in your environment: ([^.]+)\.", text)
        if missing or (isinstance(ex, ModuleNotFoundError) and ex.name and "." not in ex.name):
            packages = missing.group(1).replace(",", " ").split() if missing else [ex.name]
            raise ModelError(
                f"{name}'s own code needs packages that are not installed: {', '.join(packages)}. "
                f"Install them with: pip install {' '.join(packages)}"
            ) from ex
        if not any(signature in text for signature in REMOTE_CODE_BREAKAGES):
            raise
        raise ModelError(
            f"{name}'s own code does not run on transformers {transformers.__version__} ({first_line(ex)}). "
            f"Install the release it was written for: pip install 'transformers=={TRANSFORMERS_PIN}' "
            f"({TRANSFORMERS_THAT_WORK} work)."
        ) from ex


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(":. ")
