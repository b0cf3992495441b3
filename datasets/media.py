"""Serve stored files to project members only: never from a public media URL.

Locally the file is streamed by Django (FileResponse). In production, with
NERVEMARK_MEDIA_ACCEL_REDIRECT set (e.g. "/protected/"), the view answers with an empty body and
an `X-Accel-Redirect` header, and nginx streams the file from an `internal` location.

Files are `private, no-cache` (issue 14): a browser may keep a copy but revalidates it on every
use, so after logout or removal from a project the copy is no longer shown. Revalidation is
cheap: an ETag and Last-Modified from the file's size and time, answered with 304 by
`frontend.middleware.PatientDataCacheMiddleware` (nginx does the same for offloaded files).
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date


def file_response(name: str, *, download_name: str | None = None) -> HttpResponseBase:
    """The stored file `name` for a caller already checked; every answer revalidates."""
    if not name or not default_storage.exists(name):
        raise Http404("File not found.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    prefix = getattr(settings, "NERVEMARK_MEDIA_ACCEL_REDIRECT", "")
    if prefix:
        response: HttpResponseBase = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + name.lstrip("/")
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        modified = default_storage.get_modified_time(name).timestamp()
        response["Last-Modified"] = http_date(modified)
        response["ETag"] = f'"{default_storage.size(name):x}-{int(modified * 1e6):x}"'
    # Private: a shared cache must never hand one member's patient image to someone else.
    # no-cache: the browser asks again each time, and a caller who lost access is refused.
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    if download_name:
        response["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response
