"""Words people read, as message ids with values, rendered per language only where they are shown.

A finding never carries an English sentence: a detector says
``Message("reason.below_floor", {"quality": 0.31, "floor": 0.5})`` and each
output renders it in its own language (``en`` or ``zh``); the JSON keeps the
code and its numbers. An f-string can never be translated, a code always can.
Words that come from elsewhere (a third-party plug-in's advice, an error
from FFmpeg) travel as :meth:`Message.plain` and are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
#: the code of words shown as they are (a plug-in's own text, a result from before codes)
PLAIN = "text"


@dataclass(frozen=True)
class Message:
    """A message id and the values its words are made from (plain JSON values)."""

    code: str
    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def plain(cls, text: str) -> Message:
        return cls(PLAIN, {"text": str(text)})

    @classmethod
    def of(cls, item: Message | str) -> Message:
        """A message, or words given as a string (a plug-in's), as a plain message."""
        return item if isinstance(item, Message) else cls.plain(item)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.values}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        values = {k: v for k, v in data.items() if k != "code"}
        return cls(str(data.get("code") or PLAIN), values)

    def text(self, lang: str = DEFAULT_LANG) -> str:
        return render(self, lang)

    def __str__(self) -> str:
        return render(self, DEFAULT_LANG)


Template = str | Callable[[Mapping[str, Any]], str]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _size(v: Mapping[str, Any], key: str = "") -> str:
    return f"{v.get(key + 'width')}x{v.get(key + 'height')}"


def _below_floor_en(v: Mapping[str, Any]) -> str:
    where = " at the video's own resolution" if v.get("native") else ""
    return (f"its frames' quality{where} (median {float(v['quality']):.2f}) is below the floor "
            f"{float(v['floor']):.2f} throughout")


def _below_floor_zh(v: Mapping[str, Any]) -> str:
    where = "（按视频原始分辨率）" if v.get("native") else ""
    return f"其各帧质量{where}（中位数 {float(v['quality']):.2f}）全程低于下限 {float(v['floor']):.2f}"


def _little_detail_en(v: Mapping[str, Any]) -> str:
    how = "upscaled or defocused" if v.get("filtered") else "defocused, upscaled or smeared"
    return f"it holds the detail of about {_size(v, 'effective_')} of its {_size(v)} ({float(v.get('detail') or 0):.0%}): {how}"


def _little_detail_zh(v: Mapping[str, Any]) -> str:
    how = "疑似放大或失焦" if v.get("filtered") else "疑似失焦、放大或压缩涂抹"
    return f"其细节仅相当于约 {_size(v, 'effective_')}（画面 {_size(v)}，{round(100 * float(v.get('detail') or 0))} %）：{how}"


#: message id -> (English, Chinese); a template is ``str.format``-ed with the values, or a function of them
CATALOGUE: dict[str, tuple[Template, Template]] = {
    # severities and verdicts
    "severity.none": ("no blur", "无模糊"),
    "severity.mild": ("mild", "轻微模糊"),
    "severity.moderate": ("moderate", "中等模糊"),
    "severity.severe": ("severe", "严重模糊"),
    "verdict.no_blur": ("no blur found", "未发现模糊"),
    "verdict.blur_found": ("blur found", "发现模糊"),
    "verdict.blurry_throughout": ("blurry throughout", "全程模糊"),
    "verdict.error": ("error", "错误"),
    # advice (detectors)
    "advice.none": ("No blur found; no action needed.", "未发现模糊，无需处理。"),
    "advice.mild.acceptable": ("Mild blur: usually acceptable; check the listed segments if they matter.",
                               "轻微模糊：通常可以接受；如有需要，请检查列出的片段。"),
    "advice.mild.fix_frames": ("Consider fixing or dropping only the affected frames.", "可考虑只修复或删除受影响的帧。"),
    "advice.moderate.review": ("Moderate blur: review the listed segments.", "中等模糊：请检查列出的片段。"),
    "advice.moderate.stabilise": ("Stabilise the camera or raise the shutter speed / frame rate when recording.",
                                  "拍摄时请稳定相机，或提高快门速度/帧率。"),
    "advice.moderate.light": ("Ensure enough light so the camera can use a short exposure.",
                              "保证光线充足，使相机能够使用较短的曝光时间。"),
    "advice.severe.rerecord": ("Severe blur: consider re-recording or regenerating the video.",
                               "严重模糊：建议重新拍摄或重新生成该视频。"),
    "advice.severe.tripod": ("Use a tripod or stabiliser and check the focus settings.", "请使用三脚架或稳定器，并检查对焦设置。"),
    "advice.severe.drop": ("Drop the affected segments before using the clip for training or evaluation.",
                           "在将该片段用于训练或评测之前，请删除受影响的部分。"),
    "advice.short_bursts": ("The blur is in short bursts: cut them out with `blurscan split` (it keeps the sharp stretches "
                            "as clips) or drop those frames; no need to re-record.",
                            "模糊只是短暂的片段：可用 blurscan 的 `split` 命令剪掉它们（保留清晰部分为片段），或删除这些帧；无需重新拍摄。"),
    "advice.blurry_throughout": ("The whole video is blurry: compare it with a sharp recording before using it.",
                                 "整个视频都模糊：使用前请与清晰的录像进行比较。"),
    "advice.soft_shots": ("Some shots are soft throughout (see shots): drop or replace them rather than trimming.",
                          "部分镜头整体偏软（见镜头列表）：应整段删除或替换，而不是裁剪。"),
    # the cause of a blur (detect/cause.py), and what to do about each
    "cause.motion": ("motion", "运动模糊"),
    "cause.defocus": ("defocus", "失焦"),
    "cause.compression": ("compression", "压缩涂抹"),
    "cause.upscale": ("upscaled", "放大"),
    "cause.unknown": ("cause unknown", "原因不明"),
    "advice.cause.motion": ("Motion blur (camera shake or a slow shutter): stabilise the camera or raise the shutter "
                            "speed; the stretches can be cut out.",
                            "运动模糊（相机抖动或快门过慢）：请稳定相机或提高快门速度；可将这些片段剪掉。"),
    "advice.cause.defocus": ("Out of focus: check the focus (or the autofocus) and reshoot; sharpening does not bring "
                             "the detail back.",
                             "失焦：请检查对焦（或自动对焦）并重新拍摄；锐化无法找回丢失的细节。"),
    "advice.cause.compression": ("Compression smear: the encoder's bitrate was too low; re-encode from the source at a "
                                 "higher bitrate (or a lower CRF) instead of using this copy.",
                                 "压缩涂抹：编码码率过低；请从原始素材以更高码率（或更低的 CRF）重新编码，而不是使用此副本。"),
    "advice.cause.upscale": ("Enlarged from a smaller picture: use the original resolution (or a better copy); "
                             "the missing detail cannot be recovered.",
                             "由较小画面放大而来：请使用原始分辨率的素材（或更好的副本）；缺失的细节无法恢复。"),
    # why a shot is soft throughout (detect/softness.py)
    "reason.below_floor": (_below_floor_en, _below_floor_zh),
    "reason.little_detail": (_little_detail_en, _little_detail_zh),
    "reason.compressed": ("it is crushed by its encoder throughout (quantiser {quantiser} on the H.264 scale, "
                          "where 28 is ordinary web quality)",
                          "全程被编码器过度压缩（按 H.264 刻度量化参数为 {quantiser}，普通网络画质约为 28）"),
    "reason.holds": (
        lambda v: f"it holds the detail of about {_size(v, 'effective_')} of its {_size(v)}",
        lambda v: f"其细节相当于约 {_size(v, 'effective_')}（画面 {_size(v)}）",
    ),
    # warnings (source, scan, report)
    "warning.streams": ("has {count} video streams; scanned stream {chosen}. To scan another, use --stream: {others}",
                        "含 {count} 条视频流；已扫描流 {chosen}。如需扫描其他流，请使用 --stream：{others}"),
    "warning.container_error": ("stopped reading after a container error ({reason})", "容器出错后停止读取（{reason}）"),
    "warning.corrupt": (lambda v: f"skipped {_plural(int(v['count']), 'corrupt frame or packet', 'corrupt frames or packets')}",
                        "跳过了 {count} 个损坏的帧或数据包"),
    "warning.truncated": ("decoded {decoded} of the {declared} frames the container lists; the file may be truncated",
                          "容器声明 {declared} 帧，仅解码 {decoded} 帧；文件可能被截断"),
    "warning.gaps": (
        lambda v: (f"about {v['missing']} frame(s) could not be decoded, in {v['gaps']} gap(s) (the first "
                   f"{float(v['start_s']):.2f}–{float(v['end_s']):.2f} s, before frame {v['before_frame']}); frame numbers "
                   "count decoded frames, so after a gap they run behind the video's own, while times stay on the "
                   "video's timeline (see video.gaps)"),
        lambda v: (f"约 {v['missing']} 帧无法解码，共 {v['gaps']} 处缺口（第一处 {float(v['start_s']):.2f}–"
                   f"{float(v['end_s']):.2f} 秒，位于第 {v['before_frame']} 帧之前）；帧号按已解码帧计数，缺口之后会落后于"
                   "视频自身的帧号，而时间仍与视频时间轴一致（见 video.gaps）"),
    ),
    "warning.discontinuity": (
        lambda v: (f"the file's clock restarts or jumps {v['count']} time(s) (joined recordings, as `cat a.ts b.ts` "
                   "makes): " + "; ".join(f"frame {int(i)}: {float(a):g} s -> {float(b):g} s" for i, a, b in v["at"])
                   + "; each part is placed right after the one before it, so times run on one timeline from the "
                   "first frame"),
        lambda v: (f"文件的时钟 {v['count']} 次重新开始或跳变（多段录像拼接而成，如 `cat a.ts b.ts`）："
                   + "；".join(f"第 {int(i)} 帧：{float(a):g} 秒 -> {float(b):g} 秒" for i, a, b in v["at"])
                   + "；每一段都接在前一段之后，因此时间从第一帧起连续计算"),
    ),
    "warning.unreadable_tail": ("stopped reading at byte {at}: the last {mb} MiB read held no video (padding or "
                                "damage after the last frame); the rest of the file was not read",
                                "在第 {at} 字节处停止读取：最后读取的 {mb} MiB 中没有视频数据（最后一帧之后的填充或损坏）；"
                                "文件其余部分未读取"),
    "warning.too_small": ("frames of {width}x{height} pixels are {working_width}x{working_height} at the scorer's working "
                          "size: too small to measure, so the scores say nothing about blur",
                          "{width}x{height} 的画面在评分器的工作尺寸下只有 {working_width}x{working_height}：太小，无法测量，"
                          "因此分数不能说明是否模糊"),
    "warning.flat": ("every frame is a single flat colour (black, blank or a test card without detail): there was nothing "
                     "to measure, so 'no blur' says nothing about this video",
                     "每一帧都是单一纯色（黑屏、空白或无细节的测试卡）：没有可测量的内容，因此“无模糊”不能说明该视频的情况"),
    "warning.out_of_memory": ("out of memory {times} time(s); batch size reduced to {batch_size}",
                              "内存不足 {times} 次；批大小已降至 {batch_size}"),
    "warning.no_plot": ("no plot: {error}", "未生成图表：{error}"),
    # cutting (cut/split.py)
    "cut.audio_dropped": ("audio dropped: its {channels} channel(s) of {codec} cannot be re-encoded to AAC; "
                          "cut with --copy to keep it",
                          "已丢弃音频：其 {channels} 个 {codec} 声道无法重新编码为 AAC；如需保留，请使用 --copy 剪切"),
    "cut.keyframe_start": ("stream copy: starts at the keyframe at {start}, not {wanted}: {lost:.2f} s of the stretch "
                           "not written (cut without --copy for exact cuts)",
                           "流复制：从 {start} 的关键帧开始，而非 {wanted}：该段有 {lost:.2f} 秒未写入（不用 --copy 可精确剪切）"),
    "cut.no_keyframe": ("no keyframe inside this stretch: nothing could be copied (cut without --copy)",
                        "该段内没有关键帧：无法复制任何内容（请不用 --copy 剪切）"),
    # watch (live streams)
    "watch.status": ("{source}: {fps:.1f} fps, lag {lag_s:.1f} s, dropped {dropped}, RSS {rss_mb:.0f} MiB, "
                     "{events} events, {stream_s:.0f} s watched{state}",
                     "{source}：{fps:.1f} 帧/秒，延迟 {lag_s:.1f} 秒，丢帧 {dropped}，内存 {rss_mb:.0f} MiB，"
                     "事件 {events} 个，已监看 {stream_s:.0f} 秒{state}"),
    "watch.state.waiting": ("; waiting for the signal", "；等待信号"),
    "watch.state.lost": ("; signal lost", "；信号中断"),
    "watch.stopped": ("{source}: stopped after {stream_s:.0f} s of stream, {events} events, peak RSS {peak_rss_mb:.0f} MiB",
                      "{source}：已停止，共监看 {stream_s:.0f} 秒，事件 {events} 个，内存峰值 {peak_rss_mb:.0f} MiB"),
    "watch.dropping": ("{source}: cannot keep up with the stream; scanning 1 frame in {every} (dropped evenly)",
                       "{source}：处理速度跟不上视频流；每 {every} 帧扫描 1 帧（均匀丢帧）"),
    "watch.reconnecting": ("{source}: reconnecting in {wait_s:g} s ({reason})", "{source}：{wait_s:g} 秒后重新连接（{reason}）"),
    "watch.webhook_retry": ("webhook {url}: {reason} (try {attempt}); trying again in {wait_s:g} s",
                            "webhook {url}：{reason}（第 {attempt} 次）；{wait_s:g} 秒后重试"),
    "watch.webhook_gave_up": ("webhook {url}: gave up on an event after {tries} tries; the watch goes on",
                              "webhook {url}：一个事件重试 {tries} 次后放弃；监看继续"),
    "watch.source_failed": ("{source}: {error}", "{source}：{error}"),
}


#: why a video could not be scanned, by its error's class, in Chinese (the English is the error's own message,
#: which names the path and says what to do); a class not listed falls back to its nearest listed base
ERRORS_ZH = {
    "VideoNotFoundError": "文件不存在或链接已失效。请检查路径。",
    "VideoIsDirectoryError": "是文件夹而不是视频文件。如需扫描文件夹中的所有视频，请使用 blurscan batch。",
    "NotAVideoError": "无法作为视频读取（不是视频文件、不是普通文件或已损坏）。请确认它是视频文件；如果是，请重新编码或重新下载。",
    "StreamNotFoundError": "没有所指定的视频流。请用 --stream 选择该视频的其他视频流。",
    "EmptyVideoError": "没有可解码的视频帧。文件为空或已损坏：请重新编码或重新下载。",
    "CorruptVideoError": "连续大量数据包无法解码，文件已损坏：请重新编码或重新下载。",
    "VideoError": "无法读取该视频。请检查文件及其权限。",
    "OutputError": "无法写入输出文件。请检查输出文件夹的剩余空间和权限。",
    "ReportError": "结果文件无法读取。请重新扫描该视频。",
    "OutOfMemoryError": "内存不足。请减少 --workers 或 --batch-size 后重试。",
    "ModelError": "模型无法加载。请检查模型文件。",
    "DeviceError": "所需的计算设备不可用。",
    "MissingDependencyError": "缺少所需的软件包。请按英文错误信息中的命令安装。",
    "BlurscanError": "扫描时发生错误（内部错误或文件损坏）。设置 BLURSCAN_DEBUG=1 可查看详情；请报告该文件。",
}
#: the base classes an error class falls back to, nearest first
_ERROR_BASES = {"ModelNotFoundError": "ModelError", "ClusterError": "BlurscanError", "CutError": "BlurscanError",
                "InputError": "BlurscanError", "UsageError": "BlurscanError", "PluginNotFoundError": "BlurscanError",
                "OutputFolderBusyError": "OutputError"}


def error_text(error_type: str | None, message: str, lang: str = DEFAULT_LANG) -> str:
    """Why a video could not be scanned, in ``lang``: the error's own message in English; in Chinese the
    sentence its class stands for (the English message, which names the path, stays in the result's ``error``)."""
    if lang != "zh":
        return message
    kind = error_type or "BlurscanError"
    template = ERRORS_ZH.get(kind) or ERRORS_ZH.get(_ERROR_BASES.get(kind, "BlurscanError"), ERRORS_ZH["BlurscanError"])
    return template


def render(message: Message, lang: str = DEFAULT_LANG) -> str:
    """The message's words in ``lang`` (English where no translation exists)."""
    if message.code == PLAIN:
        return str(message.values.get("text", ""))
    templates = CATALOGUE.get(message.code)
    if templates is None:
        return message.code  # an id from a newer blurscan: its code says what it is
    template = templates[LANGS.index(lang)] if lang in LANGS else templates[0]
    try:
        return template(message.values) if callable(template) else template.format(**message.values)
    except (KeyError, TypeError, ValueError):  # a result file's values are not to be trusted
        return message.code



#: the parts a shot's ``reason_code`` may join with ``+``: why it is soft throughout
REASONS = ("below_floor", "little_detail", "compressed")


def reason_text(code: str | None, values: Mapping[str, Any], lang: str = DEFAULT_LANG) -> str:
    """Why a shot is soft throughout, in words: from its ``reason_code`` (``below_floor``, ``little_detail``,
    ``compressed``, or several joined by ``+``) and the numbers it was judged by."""
    if not code:
        return ""
    if code == PLAIN:
        return str(values.get("text", ""))
    codes = code.split("+")
    parts = []
    if "below_floor" in codes:
        parts.append(Message("reason.below_floor", values))
    if "compressed" in codes:
        parts.append(Message("reason.compressed", values))
    if "little_detail" in codes:
        parts.append(Message("reason.little_detail", values))
    elif parts and values.get("effective_width") and float(values.get("detail") or 1.0) < 1.0:
        parts.append(Message("reason.holds", values))
    return ("；" if lang == "zh" else "; ").join(render(m, lang) for m in parts)
