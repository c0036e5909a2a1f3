"""Watching live streams: cameras and pipes, events as they happen, memory flat for days.

``sources`` opens a live source and reconnects it; ``watcher`` runs the scan's
scorer and detector over it; ``monitor`` decides when a finding has closed;
``reference`` keeps the stream's sharp level and the conditions that last;
``events`` writes each event; ``webhook`` posts it; ``fleet`` watches several
sources, each in its own process.
"""

from blurscan.watch.sources import LIVE_SCHEMES, SourceSpec, parse_source, redact
from blurscan.watch.watcher import Watcher, WatchSettings

__all__ = ["LIVE_SCHEMES", "SourceSpec", "WatchSettings", "Watcher", "parse_source", "redact"]
