"""The quantiser each frame was coded with, as libavcodec exports it: how hard the encoder crushed it.

Compression smear is the one blur the decoder can name outright: H.264, VP9 and the MPEG-1/2/4 Part 2
decoders export the quantiser of every frame (and block) as side data (``export_side_data=venc_params``,
read here through PyAV's ``VideoEncParams``). The scales differ by codec, so each is read as the H.264
quantiser with about the same step: H.264's QP as it is (0-51, the step doubles every 6); VP9's q index
(0-255) scaled to 0-51; MPEG's quantiser step (twice its scale of 1-31, as libavcodec exports it; no
in-loop deblocking hides its blocks) by the same doubling rule, from 62 at QP 51. Other codecs (HEVC, AV1, ProRes ...)
export nothing: their frames read NaN and the cause of their blur is never ``compression``.
"""

from __future__ import annotations

import math

import numpy as np

#: libavcodec's AVVideoEncParamsType values
_VP9, _H264, _MPEG2 = 0, 1, 2
#: offset of ``delta_qp`` in libavcodec's AVVideoBlockParams (after src_x, src_y, w, h)
_DELTA_OFFSET = 16
#: the decoder option that makes libavcodec export the quantisers
DECODER_OPTIONS = {"export_side_data": "venc_params"}


def h264_equivalent(codec_type: int, qp: float) -> float:
    """A frame's mean quantiser on the H.264 QP scale (NaN for a codec type with none)."""
    if codec_type == _H264:
        return qp
    if codec_type == _VP9:
        return qp * 51.0 / 255.0
    if codec_type == _MPEG2 and qp > 0:
        return 51.0 + 6.0 * math.log2(qp / 62.0)
    return math.nan


def frame_quantiser(av_frame) -> float:
    """The mean quantiser of one decoded frame on the H.264 QP scale; NaN when the decoder exported none."""
    try:
        from av.sidedata.sidedata import SideDataContainer, Type

        # a container of its own: ``frame.side_data`` caches one that points back at the frame, a cycle that
        # keeps every decoded picture alive until the garbage collector runs (hundreds of MiB at 1080p)
        params = SideDataContainer(av_frame).get(Type.VIDEO_ENC_PARAMS)
    except (ImportError, AttributeError, TypeError):
        return math.nan
    if params is None:
        return math.nan
    qp, blocks = float(params.qp), int(params.nb_blocks)
    if blocks:
        deltas = np.ndarray((blocks,), dtype=np.int32, buffer=params, offset=params.blocks_offset + _DELTA_OFFSET,
                            strides=(params.block_size,))
        qp += float(deltas.mean())
    return h264_equivalent(int(params.codec_type), qp)
