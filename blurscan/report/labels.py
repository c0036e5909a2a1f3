"""The words of the reports, by id, in English and Chinese (``--lang zh``); findings' words are in
:mod:`blurscan.messages`.

The method's original users read Chinese; the original tool's severity labels
were 无模糊 / 轻微模糊 / 中等模糊 / 严重模糊. Codes in the JSON and CSV files
never change with the language.
"""

from __future__ import annotations

from blurscan.messages import DEFAULT_LANG, LANGS, Message

#: word id -> (English, Chinese)
WORDS: dict[str, tuple[str, str]] = {
    "report_title": ("blurscan report", "blurscan 报告"),
    "statistics_title": ("blurscan batch statistics", "blurscan 批量统计"),
    "video": ("video", "视频"),
    "videos": ("videos", "视频"),
    "severity": ("severity", "严重程度"),
    "blur_ratio": ("blur ratio", "模糊比例"),
    "segments": ("segments", "片段"),
    "segment": ("segment", "片段"),
    "blur_event": ("blur event", "模糊事件"),
    "blur_events": ("blur events", "模糊事件"),
    "no_blur_events": ("no blur events", "无模糊事件"),
    "soft_shots": ("soft shots", "偏软镜头"),
    "soft_throughout": ("soft throughout", "画面整体偏软"),
    "shot": ("shot", "镜头"),
    "shots": ("shots", "镜头"),
    "confidence": ("confidence", "置信度"),
    "confidence_help": ("confidence: how sure the verdict is, either way, from 0.5 to 1 — with the drop detector 0.5 "
                        "where the deepest dip (or, for a clean video, the closest one) lies at the detection threshold, "
                        "towards 1 the further it lies from it; with mss, the original tool's blend of blur ratio, largest "
                        "jump and average quality",
                        "置信度：结论（无论有无模糊）的把握程度，0.5 到 1——drop 检测器中，最深的下降（无模糊时为最接近阈值的下降）"
                        "恰在检测阈值处为 0.5，离阈值越远越接近 1；mss 检测器沿用原工具的模糊比例、最大跳变与平均质量的加权组合"),
    "frames": ("frames", "帧"),
    "duration": ("duration", "时长"),
    "duration_s": ("duration (s)", "时长（秒）"),
    "start": ("start", "开始"),
    "end": ("end", "结束"),
    "worst": ("worst", "最差帧"),
    "sharp": ("sharp", "清晰帧"),
    "worst_score": ("worst score", "最低分"),
    "files": ("files", "文件"),
    "plot": ("plot", "图表"),
    "thumbnails": ("thumbnails", "缩略图"),
    "with_blur": ("with blur", "有模糊"),
    "without": ("without", "无模糊"),
    "errors": ("errors", "错误"),
    "error": ("error", "错误"),
    "Errors": ("Errors", "错误"),
    "scanned": ("scanned", "已扫描"),
    "blur_detected": ("blur detected", "检测到模糊"),
    "blurry_throughout": ("blurry throughout", "全程模糊"),
    "detection_rate": ("detection rate (of scanned)", "检出率（占已扫描）"),
    "frames_scanned": ("frames scanned", "已扫描帧数"),
    "scan_time": ("scan time (sum over videos)", "扫描耗时（各视频之和）"),
    "average_quality": ("average quality", "平均质量"),
    "detail_share": ("detail (share of the frame's resolution)", "有效分辨率占比（相对画面尺寸）"),
    "most_blurry": ("Most blurry", "最模糊的视频"),
    "least_detail": ("Least detail held", "保留细节最少的视频"),
    "videos_with_soft_shots": ("videos with soft shots", "含偏软镜头的视频"),
    "with_soft_shots": ("with soft shots", "含偏软镜头"),
    "effective_resolution": ("effective resolution", "有效分辨率"),
    "reason": ("reason", "原因"),
    "count": ("count", "数量"),
    "statistic": ("statistic", "统计量"),
    "mean": ("mean", "平均值"),
    "median": ("median", "中位数"),
    "min": ("min", "最小值"),
    "max": ("max", "最大值"),
    "std": ("std", "标准差"),
    "filter_videos": ("filter videos…", "筛选视频…"),
    "all_severities": ("all severities", "全部严重程度"),
    "any_blur": ("any blur", "有模糊（任意程度）"),
    "click_to_sort": ("click a column to sort", "点击列标题排序"),
    "recommendations": ("recommendations", "建议"),
    "verdict": ("verdict", "结论"),
    "details": ("details", "详情"),
    "scores_over_time": ("scores over time", "分数随时间变化"),
    "showing": ("showing", "显示"),
    "of": ("of", "共"),
    "previous": ("previous", "上一页"),
    "next": ("next", "下一页"),
    "no_videos_match": ("no videos match", "没有匹配的视频"),
    "other_fields": ("the detector's own fields", "检测器的其他字段"),
    "soft_legend": ("grey band: a shot soft throughout; its verdict rests on the dashed line, the detail it holds "
                    "(share of its resolution), and the dotted line, its quality at the video's own resolution (the "
                    "curve is measured at the working width, where a soft picture can still look sharp)",
                    "灰色区域：整体偏软的镜头；判定依据是虚线（其保留的细节，占画面分辨率的比例）和点线（按视频原始分辨率的质量）；"
                    "曲线按工作宽度测量，偏软的画面在该宽度下仍可能显得清晰"),
    "time_axis": ("time in the video", "视频中的时间"),
    "scorer": ("scorer", "评分器"),
    "detector": ("detector", "检测器"),
    "window": ("window", "窗口"),
    "holds": ("holds", "有效分辨率"),
    "cause": ("cause", "原因"),
    "causes": ("causes", "模糊原因"),
    "all_causes": ("all causes", "全部原因"),
    "main_cause": ("videos (main cause)", "视频（主要原因）"),
    "angle": ("angle", "方向"),
    "extent": ("extent", "范围"),
}


def word(word_id: str, lang: str = DEFAULT_LANG) -> str:
    """A report word in ``lang`` (English for a language blurscan does not speak)."""
    english, chinese = WORDS[word_id]
    return chinese if lang == "zh" else english


def counted(n: int, one: str, many: str, lang: str = DEFAULT_LANG) -> str:
    """``n`` and the word for it, with thousands separators: "1 blur event", "1,800 frames" (word ids)."""
    return f"{n:,} {word(one if n == 1 else many, lang)}"


def severity_label(code: str | None, lang: str = DEFAULT_LANG) -> str:
    return Message(f"severity.{code}").text(lang) if code in ("none", "mild", "moderate", "severe") else str(code)


def verdict_label(code: str, lang: str = DEFAULT_LANG) -> str:
    return Message(f"verdict.{code}").text(lang)


def cause_label(code: str | None, lang: str = DEFAULT_LANG) -> str:
    """A cause's name in ``lang`` ("" for none)."""
    return Message(f"cause.{code}").text(lang) if code else ""


def cause_text(cause, lang: str = DEFAULT_LANG, unit: str = "px") -> str:
    """A cause with its numbers: "motion, 60° 12 px", "defocus, 6 px" ("" for none)."""
    if cause is None:
        return ""
    parts = [f"{cause.angle_deg:.0f}°"] if cause.angle_deg is not None else []
    if cause.blur_px is not None:
        parts.append(f"{cause.blur_px:.0f} {unit}")
    return cause_label(cause.name, lang) + ((", " if lang != "zh" else "，") + " ".join(parts) if parts else "")


def size_text(width: int | None, height: int | None, frame_width: int | None = None,
              frame_height: int | None = None, detail: float | None = None, lang: str = DEFAULT_LANG,
              lead: str | None = None) -> str | None:
    """An effective resolution in words, after the word ``lead`` (a word id): "holds about 330x185 of
    1280x720 (26 %)", "有效分辨率约 330x185（画面 1280x720，26 %）"; None when nothing is known."""
    percent = f"{round(detail * 100)} %" if detail is not None else None
    frame = f"{frame_width}x{frame_height}" if frame_width and frame_height else None
    if lang == "zh":
        if width is None or height is None:
            words = f"约 {percent}" if percent else None
        else:
            inside = "，".join(x for x in (f"画面 {frame}" if frame else None, percent) if x)
            words = f"约 {width}x{height}" + (f"（{inside}）" if inside else "")
        return None if words is None else word(lead, lang) + words if lead else words
    if width is None or height is None:
        words = f"about {percent}" if percent else None
    else:
        words = f"about {width}x{height}" + (f" of {frame}" if frame else "") + (f" ({percent})" if percent else "")
    return None if words is None else f"{word(lead, lang)} {words}" if lead else words


__all__ = ["DEFAULT_LANG", "LANGS", "WORDS", "cause_label", "cause_text", "counted", "severity_label", "size_text",
           "verdict_label", "word"]
