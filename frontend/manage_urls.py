"""Routes of the data managers' pages (label classes, dashboard); included by frontend.urls."""

from __future__ import annotations

from django.urls import URLPattern, path

from frontend import manage_views

urlpatterns: list[URLPattern] = [
    path(
        "projects/<slug:slug>/label-classes/",
        manage_views.label_classes_page,
        name="label-classes-page",
    ),
    path("projects/<slug:slug>/dashboard/", manage_views.dashboard_page, name="dashboard-page"),
]
