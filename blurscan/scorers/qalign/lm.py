"""Q-Align's language-model pass over a batch of windows, without the work every window repeats.

Two shortcuts; the model's own modules do all the arithmetic, on the same input:

* **Span routing.** mPLUG-Owl2's modality-adaptive modules (a copy of the layer
  norms and of the key/value projections per modality) find each modality's
  tokens with ``nonzero`` and gather and scatter them: four modules a layer,
  two ways, so 256 host-device synchronisations per pass of a 32-layer model,
  each one draining the GPU's queue. Every window blurscan scores has the same
  layout (prompt text, W x 65 image tokens, prompt text), so each module runs
  its copies on contiguous slices of the sequence, read once per batch.
* **Shared prompt prefix.** The prompt's text before the first image is the
  same in every window and, the model being causal, so are its keys and values
  at every layer. They are computed once, and each batch continues from them
  as generation continues from a cache (about 6 % of the tokens for W = 3).

The scorer checks the shortcuts against the model's own pass when it loads
and turns them off, with a warning, if the scores differ or the model's code
does not take a cache.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from typing import NamedTuple

logger = logging.getLogger("blurscan")

#: largest |difference| in a window's score between the shortcuts and the model's own pass, by dtype
AGREEMENT = {"float32": 1e-5, "float16": 5e-3, "bfloat16": 2e-2}


class Span(NamedTuple):
    start: int
    stop: int
    way: int


def spans_of(row) -> list[Span]:
    """Runs of equal modality in one row of modality indicators (a list of ints)."""
    spans: list[Span] = []
    start = 0
    for index in range(1, len(row) + 1):
        if index == len(row) or row[index] != row[start]:
            spans.append(Span(start, index, int(row[start])))
            start = index
    return spans


def is_multiway(module) -> bool:
    """mPLUG-Owl2's ``MultiwayNetwork``: one copy of a module per modality in ``.multiway``."""
    import torch

    ways = getattr(module, "multiway", None)
    return isinstance(ways, torch.nn.ModuleList) and len(ways) > 1


class LanguageModelPass:
    """Last-position hidden states of the language model for a batch of assembled windows."""

    def __init__(self, model, *, shortcuts: bool = True):
        self.model = model
        self.shortcuts = shortcuts
        self._prefix = None  # (length, cache of (key, value) per layer, batch 1)
        self._routing = routing_of(model)

    def last_hidden(self, embeds, modality, attention_mask):
        """The final hidden state at each window's last position (batch, hidden)."""
        spans = self._uniform_spans(modality, attention_mask) if self.shortcuts else None
        if spans is None:
            return self._plain(embeds, modality, attention_mask)
        return self._fast(embeds, modality, spans)

    def turn_off(self, reason: str) -> None:
        """Back to the model's own pass for good (the shortcuts failed or disagreed with it)."""
        logger.warning(
            "qalign: language-model shortcuts turned off: %s; scoring goes on at the model's own speed", reason
        )
        self.shortcuts = False
        self._prefix = None

    def release(self) -> None:
        """Drop the model and the prompt's cache (the scorer is closing)."""
        self.model = None
        self._prefix = None

    # -- the two passes ----------------------------------------------------

    def _plain(self, embeds, modality, attention_mask):
        import torch

        hidden = _last_hidden_state(self._run(embeds, modality, attention_mask=attention_mask))
        if attention_mask is None:
            return hidden[:, -1]
        ends = attention_mask.long().sum(dim=1) - 1
        return hidden[torch.arange(len(hidden), device=hidden.device), ends]

    def _fast(self, embeds, modality, spans):
        past = None
        first = spans[0]
        if first.way == 0 and first.stop < embeds.shape[1]:
            length = first.stop
            cache = self._prefix_cache(embeds[:1, :length], modality[:1, :length], first.way)
            past = tuple(tuple(t.expand(len(embeds), -1, -1, -1) for t in layer) for layer in cache)
            embeds, modality = embeds[:, length:], modality[:, length:]
            spans = [Span(s.start - length, s.stop - length, s.way) for s in spans[1:]]
        with self._routing.by(modality, spans):
            output = self._run(embeds, modality, past=past)
        return _last_hidden_state(output)[:, -1]

    def _prefix_cache(self, embeds, modality, way: int):
        length = embeds.shape[1]
        if self._prefix is None or self._prefix[0] != length:
            with self._routing.by(modality, [Span(0, length, way)]):
                output = self._run(embeds, modality, use_cache=True)
            cache = getattr(output, "past_key_values", None) or getattr(output, "cache", None)
            self._prefix = (length, tuple((layer[0], layer[1]) for layer in cache))
        return self._prefix[1]

    # -- helpers -----------------------------------------------------------

    def _run(self, embeds, modality, *, attention_mask=None, past=None, use_cache=False):
        """The model's language model (``past`` only when given: not every model's code takes it)."""
        continued = {} if past is None else {"past_key_values": past}
        return self.model.get_model()(
            input_ids=None,
            modality_indicators=modality,
            attention_mask=attention_mask,
            inputs_embeds=embeds,
            use_cache=use_cache,
            return_dict=True,
            **continued,
        )

    def _uniform_spans(self, modality, attention_mask):
        """The spans every row shares, or None where rows differ or have padding (one device read)."""
        if modality is None or modality.ndim != 2:
            return None
        if attention_mask is not None and not bool(attention_mask.all()):
            return None
        rows = modality.cpu()
        if not bool((rows == rows[:1]).all()):
            return None
        return spans_of(rows[0].tolist())


class _Routing:
    """The spans the model's ``MultiwayNetwork`` modules slice by during one pass (one per model)."""

    def __init__(self, model):
        self.current = None  # (modality tensor, spans) while a routed pass runs
        self.modules = [module for module in model.get_model().modules() if is_multiway(module)]
        for module in self.modules:
            module.forward = functools.partial(_routed_forward, module, self)

    @contextlib.contextmanager
    def by(self, modality, spans):
        self.current = (modality, spans)
        try:
            yield
        finally:
            self.current = None


def routing_of(model) -> _Routing:
    """The model's routing, installed on its modality-adaptive modules the first time it is asked for."""
    routing = model.__dict__.get("_blurscan_routing")
    if routing is None:
        routing = model.__dict__["_blurscan_routing"] = _Routing(model)
    return routing


def _routed_forward(module, routing: _Routing, hidden_states, multiway_indices):
    """A ``MultiwayNetwork`` forward that slices spans; the class's own forward for anything else."""
    current = routing.current
    if current is None or multiway_indices is not current[0] or hidden_states.shape[:2] != multiway_indices.shape:
        return type(module).forward(module, hidden_states, multiway_indices)
    import torch

    pieces = []
    for span in current[1]:
        output = module.multiway[span.way](hidden_states[:, span.start : span.stop])
        pieces.append(output[0] if isinstance(output, tuple) else output)
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


def _last_hidden_state(output):
    return output.last_hidden_state if hasattr(output, "last_hidden_state") else output[0]


__all__ = ["LanguageModelPass", "Span", "is_multiway", "spans_of"]
