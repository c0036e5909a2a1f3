"""Per-frame consumers of the same pass as the scorer: camera motion, detail at native size, shot cuts, thumbnails."""
