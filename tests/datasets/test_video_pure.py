"""Probe, de-identification and extraction on real encoded files (no Django database)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from datasets.video.deidentify import remux_without_metadata
from datasets.video.errors import VideoError, without_paths
from datasets.video.extract import ExtractOptions, exclusions, expected_count, iter_frames
from datasets.video.probe import probe
from tests.videos import IDENTIFYING, make_audio_only, make_video


@pytest.mark.parametrize(
    ("name", "codec", "container"),
    [
        ("a.mp4", "libx264", "mov"),
        ("b.mkv", "libx265", "matroska"),
        ("c.avi", "mjpeg", "avi"),
        ("d.ts", "mpeg4", "mpegts"),
    ],
)
def test_probe_reads_each_supported_format(
    tmp_path: Path, name: str, codec: str, container: str
) -> None:
    info = probe(make_video(tmp_path / name, codec=codec, frames=20, width=160, height=96))
    assert (info.container, info.width, info.height) == (container, 160, 96)
    assert info.codec == {"libx264": "h264", "libx265": "hevc"}.get(codec, codec)
    assert info.fps == pytest.approx(25)
    assert info.frame_count == 20
    assert info.duration_s == pytest.approx(0.8, abs=0.05)
    assert not info.variable_fps


def test_probe_reports_rotation_and_variable_rate(tmp_path: Path) -> None:
    assert probe(make_video(tmp_path / "r.mp4", rotation=90)).rotation == 90
    vfr = make_video(tmp_path / "v.mp4", frames=8, vfr_pts_ms=[0, 40, 80, 200, 240, 400, 440, 480])
    assert probe(vfr).variable_fps


def _truncated(tmp_path: Path) -> Path:
    data = make_video(tmp_path / "full.mp4", frames=60).read_bytes()
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(data[: len(data) // 2])
    return bad


def test_truncated_stream_yields_the_frames_before_the_cut(tmp_path: Path) -> None:
    data = make_video(tmp_path / "full.ts", codec="mpeg4", frames=60).read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(data[: len(data) // 2])
    info = probe(cut)
    frames = list(iter_frames(cut, ExtractOptions(target_fps=None, every_nth=1), fps=info.fps))
    assert 10 < len(frames) < 60
    assert [f.index for f in frames] == sorted({f.index for f in frames})


def _no_moov(tmp_path: Path) -> Path:
    data = make_video(tmp_path / "full2.mp4", frames=30).read_bytes()
    i = data.rfind(b"moov") - 4  # the index atom (size + type) is the file's tail
    bad = tmp_path / "nomoov.mp4"
    bad.write_bytes(data[:i])  # a recording that stopped before the index was written
    return bad


def _text(tmp_path: Path) -> Path:
    bad = tmp_path / "notes.mp4"
    bad.write_text("these are not the frames you are looking for\n" * 50)
    return bad


def _empty(tmp_path: Path) -> Path:
    bad = tmp_path / "empty.mp4"
    bad.write_bytes(b"")
    return bad


def _absurd(tmp_path: Path) -> Path:
    bad = tmp_path / "huge.y4m"
    bad.write_bytes(b"YUV4MPEG2 W60000 H40000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\0" * 1000)
    return bad


def _zero(tmp_path: Path) -> Path:
    bad = tmp_path / "zero.y4m"
    bad.write_bytes(b"YUV4MPEG2 W0 H0 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\0" * 100)
    return bad


@pytest.mark.parametrize(
    ("maker", "reason"),
    [
        (_empty, "empty"),
        (_text, "Not a readable video"),
        (_truncated, "Not a readable video"),
        (_no_moov, "Not a readable video"),
        (make_audio_only, "no video stream"),
        (_absurd, ""),
        (_zero, ""),
    ],
    ids=["empty", "text", "truncated", "no-moov", "audio-only", "absurd-size", "zero-size"],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, maker, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = maker(tmp_path) if maker is not make_audio_only else maker(tmp_path / "a.mp4")
    with pytest.raises(VideoError) as err:
        probe(path)
    assert reason.lower() in str(err.value).lower()
    assert len(str(err.value)) < 300
    assert str(tmp_path) not in str(err.value)  # never where the file lies on the server
    assert path.name not in str(err.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "Invalid data found when processing input: '/srv/media/incoming/9f'",
            "Invalid data found when processing input: the file",
        ),
        ('No space left on device: "/var/lib/a b/c.part"', "No space left on device: the file"),
        ("cannot open /tmp/x/y.mp4 now", "cannot open the file now"),
        ("cannot open C:\\media\\x.mp4", "cannot open the file"),
        ("25/1 fps, ratio 1/2/3, see frames 3/4", "25/1 fps, ratio 1/2/3, see frames 3/4"),
    ],
)
def test_error_texts_lose_their_server_paths(text: str, shown: str) -> None:
    assert without_paths(text) == shown


def test_stored_copy_has_no_identifying_metadata_and_no_audio(tmp_path: Path) -> None:
    src = make_video(tmp_path / "in.mp4", metadata=IDENTIFYING, audio=True, rotation=90)
    dst = tmp_path / "out.mp4"
    remux_without_metadata(src, dst)
    with av.open(str(dst)) as c:
        tags = dict(c.metadata)
        assert not set(tags) & {
            "title",
            "comment",
            "creation_time",
            "location",
            "artist",
            "encoder",
        }
        assert [s.type for s in c.streams] == ["video"]
        for s in c.streams:
            assert "creation_time" not in s.metadata
    raw = dst.read_bytes()
    for value in IDENTIFYING.values():
        assert value.encode()[:8] not in raw
    assert b"Lavf" not in raw
    info = probe(dst)
    assert (info.width, info.height, info.frame_count, info.rotation) == (160, 96, 30, 90)


def test_every_frame_has_exact_pts_timestamps_also_for_vfr(tmp_path: Path) -> None:
    pts = [0, 40, 80, 200, 240, 400, 440, 480, 520, 920]
    path = make_video(tmp_path / "v.mp4", frames=10, vfr_pts_ms=pts)
    info = probe(path)
    frames = list(
        iter_frames(
            path,
            ExtractOptions(target_fps=None, every_nth=1),
            fps=info.fps,
            variable_fps=info.variable_fps,
        )
    )
    assert [f.timestamp_ms for f in frames] == pts
    assert [f.index for f in frames] == list(range(10))


def test_rate_sampling_range_limits_and_expected_count(tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", frames=100, gop=10)  # 4 s at 25 fps
    opts = ExtractOptions(target_fps=2)
    frames = list(iter_frames(path, opts, fps=25))
    assert [f.index for f in frames] == [0, 13, 25, 38, 50, 63, 75, 88]  # nearest, ties later
    assert len(frames) == expected_count(opts, duration_s=4, fps=25)
    ranged = list(iter_frames(path, ExtractOptions(target_fps=1, start_s=1.0, end_s=3.0), fps=25))
    assert [f.timestamp_ms for f in ranged] == [1000.0, 2000.0]
    capped = list(
        iter_frames(
            path, ExtractOptions(target_fps=None, every_nth=3, max_frames=5, max_side=80), fps=25
        )
    )
    assert [f.index for f in capped] == [0, 3, 6, 9, 12]
    assert {(f.width, f.height) for f in capped} == {(80, 48)}


def test_sampling_with_seeks_gives_the_same_frames_as_decoding_all(tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", frames=250, gop=25, width=96, height=64)  # 10 s
    sparse = list(iter_frames(path, ExtractOptions(target_fps=0.25), fps=25))  # seeks
    every = {
        f.index: f for f in iter_frames(path, ExtractOptions(target_fps=None, every_nth=1), fps=25)
    }
    assert [f.index for f in sparse] == [0, 100, 200]
    for f in sparse:
        assert f.timestamp_ms == every[f.index].timestamp_ms
        assert f.phash == every[f.index].phash


def _marker_corner(jpeg: bytes) -> str:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    corners = {
        "top-left": img[: h // 10, : w // 10],
        "top-right": img[: h // 10, -w // 10 :],
        "bottom-left": img[-h // 10 :, : w // 10],
        "bottom-right": img[-h // 10 :, -w // 10 :],
    }
    return max(corners, key=lambda k: corners[k][..., 2].mean() - corners[k][..., 1].mean())


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_matches_what_ffmpeg_displays(tmp_path: Path, rotation: int) -> None:
    ffmpeg = pytest.importorskip("imageio_ffmpeg").get_ffmpeg_exe()
    path = make_video(tmp_path / "r.mp4", frames=5, rotation=rotation)
    (ours,) = iter_frames(
        path,
        ExtractOptions(target_fps=None, every_nth=1, max_frames=1),
        fps=25,
        rotation=probe(path).rotation,
    )
    ref = tmp_path / "ref.png"
    subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-frames:v", "1", str(ref)], check=True)
    theirs = cv2.imread(str(ref))
    assert (ours.height, ours.width) == theirs.shape[:2]
    assert _marker_corner(ours.jpeg) == _marker_corner(cv2.imencode(".jpg", theirs)[1].tobytes())


def test_blurry_and_duplicate_frames_are_flagged_relative_to_the_video(tmp_path: Path) -> None:
    path = make_video(
        tmp_path / "v.mp4", frames=12, width=320, height=192, blur={3, 7}, repeat={5: 4, 6: 4}
    )
    frames = list(iter_frames(path, ExtractOptions(target_fps=None, every_nth=1), fps=25))
    reasons = exclusions(
        [f.sharpness for f in frames],
        [f.phash for f in frames],
        ExtractOptions(target_fps=None, every_nth=1),
    )
    assert reasons[3] == reasons[7] == "blur"
    assert reasons[5] == reasons[6] == "duplicate"
    assert [i for i, r in enumerate(reasons) if r == ""] == [0, 1, 2, 4, 8, 9, 10, 11]


@pytest.mark.parametrize(
    "bad",
    [
        {"target_fps": 0},
        {"target_fps": None, "every_nth": 0},
        {"start_s": 5, "end_s": 2},
        {"jpeg_quality": 101},
        {"target_fps": 1, "every_nth": 2},
    ],
)
def test_bad_extraction_options_raise_value_error(bad: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        ExtractOptions(**bad)
