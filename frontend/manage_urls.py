"""Routes of the data managers' pages (label classes, dashboard); included by frontend.urls."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
