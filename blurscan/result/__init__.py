"""The result of a scan: one typed model (``model``), built in one place (``build``), read back by one reader
(``reader``); every output is a view of it."""

from blurscan.result.model import SCHEMA, FailedResult, Result, Segment, Shot, Verdict, Video, VideoResult, error_result
from blurscan.result.reader import ResultFileError, from_dict, read_result_file

__all__ = ["SCHEMA", "FailedResult", "Result", "ResultFileError", "Segment", "Shot", "Verdict", "Video", "VideoResult",
           "error_result", "from_dict", "read_result_file"]
