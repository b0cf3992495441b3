"""The one error type of video I/O, and texts for users that never carry a server path."""

from __future__ import annotations

import re

# An absolute POSIX or Windows path: quoted (it may hold spaces) or bare (two segments or more,
# not inside a word, so "30/1 fps" and "1/2/3" stay as they are).
_PATH = re.compile(
    r"""'(?:/|[A-Za-z]:\\)[^']*'
      | "(?:/|[A-Za-z]:\\)[^"]*"
      | (?<![\w.~/-])(?:/[^\s'":,;()]+){2,}/?
      | (?<!\w)[A-Za-z]:\\[^\s'"]+
    """,
    re.VERBOSE,
)


class VideoError(Exception):
    """The file is not a video NerveMark can use; the message says why, for the user."""


def without_paths(text: str) -> str:
    """`text` with every absolute file path replaced by "the file": where media lives on the
    server is nobody's business, and a path may carry a name the uploader gave the file."""
    return _PATH.sub("the file", text)


def reason_of(exc: BaseException) -> str:
    """What a decoder or OS error says, without the file name it adds: FFmpeg's and the OS's
    own wording (`strerror`) when there is one, else the message with paths taken out."""
    strerror = getattr(exc, "strerror", None)
    text = strerror if isinstance(strerror, str) and strerror else str(exc)
    text = without_paths(text).strip().rstrip(".")
    return text[:200] or exc.__class__.__name__
