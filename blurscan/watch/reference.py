"""The stream's reference level, and conditions that last (soft, flat, frozen) decided once and ended once.

A file's detector compares each frame with its own shot, a few seconds
around it. A camera that drifts out of focus for an hour has no sharp
frames around it, so the watch also keeps a *reference*: the level (quality
logit read at the stream's own size, see :mod:`blurscan.detect.softness`) of
the frames it last saw sharp. It rises to a sharper picture within seconds,
follows a picture that softens slowly (dusk, a lamp going off) over minutes,
and stands still while the picture is far below it, so a long soft stretch is
never learned as the new normal: what sharp looked like is not forgotten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: seconds over which the reference rises to a sharper picture, and follows a softer one
RISE_S = 5.0
FALL_S = 120.0
#: seconds of frames the first reference is taken from
LEARN_S = 2.0


class Reference:
    """The sharp level of the stream, learned from its frames (logit units; None until learned)."""

    def __init__(self):
        self.level: float | None = None
        self._learning: list[float] = []
        self._learn_start: float | None = None

    def update(self, now: float, dt: float, sharp_median: float | None) -> None:
        """Fold in the median level of the frames of the last ``dt`` seconds that were not far below it."""
        if sharp_median is None or not math.isfinite(sharp_median):
            return
        if self.level is None:
            self._learn_start = now if self._learn_start is None else self._learn_start
            self._learning.append(sharp_median)
            if now - self._learn_start >= LEARN_S:
                self.level = sorted(self._learning)[len(self._learning) // 2]
                self._learning = []
            return
        tau = RISE_S if sharp_median > self.level else FALL_S
        self.level += (sharp_median - self.level) * (1.0 - math.exp(-max(dt, 0.0) / tau))


@dataclass
class Condition:
    """A state of the picture that counts only when it lasts: ``after_s`` to be decided, ``recover_s`` to end.

    :meth:`update` is told, each tick, whether the condition holds now (and since when); it answers
    ``"begun"`` once the condition has held ``after_s`` seconds, and ``"ended"`` once it has been
    gone ``recover_s`` seconds, with :attr:`start_s` and :attr:`end_s` set.
    """

    name: str
    after_s: float
    recover_s: float = 1.0
    #: "clear", "pending" (holds, not for long enough yet), "on", "recovering"
    state: str = "clear"
    start_s: float = 0.0
    end_s: float = 0.0
    start_wall: float = 0.0
    end_wall: float = 0.0

    @property
    def enabled(self) -> bool:
        return self.after_s > 0

    @property
    def on(self) -> bool:
        return self.state in ("on", "recovering")

    def update(self, now: float, holds: bool, since: tuple[float, float], until: tuple[float, float]) -> str | None:
        """``since``: (stream time, wall) of the first frame it held on lately; ``until``: of the first frame
        after the last it held on (where a recovery starts)."""
        if not self.enabled:
            return None
        if self.state == "clear":
            if holds:
                self.state, (self.start_s, self.start_wall) = "pending", since
        elif self.state == "pending":
            if not holds:
                self.state = "clear"
        elif self.state == "on":
            if not holds:
                self.state, (self.end_s, self.end_wall) = "recovering", until
        elif self.state == "recovering" and holds:
            self.state = "on"
        if self.state == "pending" and now - self.start_s >= self.after_s:
            self.state = "on"
            return "begun"
        if self.state == "recovering" and now - self.end_s >= self.recover_s:
            self.state = "clear"
            return "ended"
        return None
