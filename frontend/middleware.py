"""Response headers every page and API answer needs: an enforcing Content-Security-Policy (never
report-only), and caching rules that keep patient data out of browser and proxy caches."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response


class PatientDataCacheMiddleware:
    """`no-store` on HTML and JSON answered to a signed-in caller (session or API token) unless
    the view chose its own Cache-Control; 304 for a revalidated `private, no-cache` file (the
    frame images of `datasets.media.file_response`), so a browser re-asks on every use and an
    unauthorised caller gets 401/403/404, not the cached image."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            if _signed_in(request) and _is_document(response):
                response["Cache-Control"] = "no-store"
                patch_vary_headers(response, ["Cookie", "Authorization"])
            return response
        return _revalidated(request, response)


def _signed_in(request: HttpRequest) -> bool:
    # DRF copies the token's user onto the Django request once it authenticates.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _is_document(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type in ("text/html", "application/json") or content_type.endswith("+json")


def _revalidated(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or "no-cache" not in response["Cache-Control"]
        or not (response.has_header("ETag") or response.has_header("Last-Modified"))
    ):
        return response
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    conditional = get_conditional_response(
        request, etag=response.get("ETag"), last_modified=last_modified, response=response
    )
    if conditional is None or conditional is response:
        return response
    # Close the file it opened; not `response.close()`, which would signal the end of the request
    # (and close the database connection) while the 304 is still on its way.
    if isinstance(response, FileResponse) and response.file_to_stream is not None:
        response.file_to_stream.close()
    return conditional
