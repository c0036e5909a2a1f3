"""The result of a scan: one typed model, built in one place, written and read back by one reader."""

from blurscan.result.model import SCHEMA, VideoResult, error_result

__all__ = ["SCHEMA", "VideoResult", "error_result"]
