from __future__ import annotations


class VideoError(Exception):
    """The file is not a video NerveMark can use; the message says why, for the user."""
