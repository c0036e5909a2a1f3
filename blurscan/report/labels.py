"""Words people read, in English or Chinese (``--lang zh``): severities, verdicts, advice, report text.

The method's original users read Chinese; the original tool's severity labels
were 无模糊 / 轻微模糊 / 中等模糊 / 严重模糊. Codes in the JSON (``severity:
"mild"``) never change with the language: a result gains ``labels`` beside them.
A text with no translation is shown in English rather than not at all.
"""

from __future__ import annotations

from typing import Any

LANGS = ("en", "zh")
DEFAULT_LANG = "en"

SEVERITY_LABELS = {
    "en": {"none": "no blur", "mild": "mild", "moderate": "moderate", "severe": "severe"},
    "zh": {"none": "无模糊", "mild": "轻微模糊", "moderate": "中等模糊", "severe": "严重模糊"},
}

#: English text -> Chinese, for verdicts, advice and the words of the summaries and the report
_ZH = {
    # verdicts
    "no blur found": "未发现模糊",
    "blur found": "发现模糊",
    "blurry throughout": "全程模糊",
    "soft throughout": "画面整体偏软",
    "error": "错误",
    # advice (detect/base.py, detect/drop.py)
    "No blur found; no action needed.": "未发现模糊，无需处理。",
    "Mild blur: usually acceptable; check the listed segments if they matter.": "轻微模糊：通常可以接受；如有需要，请检查列出的片段。",
    "Consider fixing or dropping only the affected frames.": "可考虑只修复或删除受影响的帧。",
    "Moderate blur: review the listed segments.": "中等模糊：请检查列出的片段。",
    "Stabilise the camera or raise the shutter speed / frame rate when recording.": "拍摄时请稳定相机，或提高快门速度/帧率。",
    "Ensure enough light so the camera can use a short exposure.": "保证光线充足，使相机能够使用较短的曝光时间。",
    "Severe blur: consider re-recording or regenerating the video.": "严重模糊：建议重新拍摄或重新生成该视频。",
    "Use a tripod or stabiliser and check the focus settings.": "请使用三脚架或稳定器，并检查对焦设置。",
    "Drop the affected segments before using the clip for training or evaluation.": "在将该片段用于训练或评测之前，请删除受影响的部分。",
    "The whole video is blurry: compare it with a sharp recording before using it.": "整个视频都模糊：使用前请与清晰的录像进行比较。",
    # summaries and report
    "video": "视频",
    "videos": "视频",
    "severity": "严重程度",
    "blur ratio": "模糊比例",
    "segments": "片段",
    "segment": "片段",
    "confidence": "置信度",
    "frames": "帧",
    "duration": "时长",
    "start": "开始",
    "end": "结束",
    "worst": "最差帧",
    "sharp": "清晰帧",
    "files": "文件",
    "with blur": "有模糊",
    "without": "无模糊",
    "errors": "错误",
    "scanned": "已扫描",
    "blur detected": "检测到模糊",
    "detection rate (of scanned)": "检出率（占已扫描）",
    "frames scanned": "已扫描帧数",
    "scan time (sum over videos)": "扫描耗时（各视频之和）",
    "average quality": "平均质量",
    "Most blurry": "最模糊的视频",
    "Errors": "错误",
    "filter videos…": "筛选视频…",
    "all severities": "全部严重程度",
    "blurscan report": "blurscan 报告",
    "blurscan batch statistics": "blurscan 批量统计",
    "click a column to sort": "点击列标题排序",
    "recommendations": "建议",
    # statistics.md and report.html v2
    "count": "数量",
    "statistic": "统计量",
    "mean": "平均值",
    "median": "中位数",
    "min": "最小值",
    "max": "最大值",
    "std": "标准差",
    "no blur": "无模糊",
    "mild": "轻微模糊",
    "moderate": "中等模糊",
    "severe": "严重模糊",
    "any blur": "有模糊（任意程度）",
    "duration (s)": "时长（秒）",
    "worst score": "最低分",
    "verdict": "结论",
    "details": "详情",
    "hide": "收起",
    "no segments": "无模糊片段",
    "scores over time": "分数随时间变化",
    "showing": "显示",
    "of": "共",
    "previous": "上一页",
    "next": "下一页",
    "no videos match": "没有匹配的视频",
    "plot": "图表",
    "thumbnails": "缩略图",
    "other fields": "其他字段",
    "scorer": "评分器",
    "detector": "检测器",
    "window": "窗口",
    "and more": "等",
    # soft shots and effective resolution (issue 10)
    "shot": "镜头",
    "soft shots": "偏软镜头",
    "blur events": "模糊事件",
    "no blur events": "无模糊事件",
    "videos with soft shots": "含偏软镜头的视频",
    "with soft shots": "含偏软镜头",
    "effective resolution": "有效分辨率",
    "holds": "有效分辨率",
    "detail (share of the frame's resolution)": "有效分辨率占比（相对画面尺寸）",
    "Soft footage": "画面偏软的视频",
    "reason": "原因",
}


def size_text(width: int | None, height: int | None, frame_width: int | None = None,
              frame_height: int | None = None, detail: float | None = None, lang: str = DEFAULT_LANG,
              lead: str | None = None) -> str | None:
    """An effective resolution in words, after ``lead`` (English, translated here): "holds about 330x185
    of 1280x720 (26 %)", "有效分辨率约 330x185（画面 1280x720，26 %）"; None when nothing is known."""
    percent = f"{round(detail * 100)} %" if detail is not None else None
    frame = f"{frame_width}x{frame_height}" if frame_width and frame_height else None
    if lang == "zh":
        if width is None or height is None:
            words = f"约 {percent}" if percent else None
        else:
            inside = "，".join(x for x in (f"画面 {frame}" if frame else None, percent) if x)
            words = f"约 {width}x{height}" + (f"（{inside}）" if inside else "")
        return None if words is None else text(lead, lang) + words if lead else words
    if width is None or height is None:
        words = f"about {percent}" if percent else None
    else:
        words = f"about {width}x{height}" + (f" of {frame}" if frame else "") + (f" ({percent})" if percent else "")
    return None if words is None else f"{lead} {words}" if lead else words


def check_lang(lang: str) -> str:
    """``lang`` if blurscan speaks it; a ValueError naming the choices otherwise."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def text(english: str, lang: str = DEFAULT_LANG) -> str:
    """``english`` in ``lang`` (itself where no translation is known)."""
    return _ZH.get(english, english) if lang == "zh" else english


def severity_label(code: str | None, lang: str = DEFAULT_LANG) -> str:
    return SEVERITY_LABELS.get(lang, SEVERITY_LABELS["en"]).get(str(code), str(code))


def verdict(result: dict[str, Any], lang: str = DEFAULT_LANG) -> str:
    """A result's verdict in words: no blur, blur found, blurry throughout, or error."""
    if "error" in result:
        return text("error", lang)
    if result.get("blurry_throughout"):
        return text("blurry throughout", lang)
    return text("blur found" if result.get("blur_detected") else "no blur found", lang)


def result_labels(result: dict[str, Any], lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """The ``labels`` block of a result: its codes in words, in ``lang``."""
    return {
        "lang": lang,
        "severity": severity_label(result.get("severity"), lang),
        "verdict": verdict(result, lang),
        "recommendations": [text(r, lang) for r in result.get("recommendations") or []],
    }
