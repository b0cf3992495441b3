from __future__ import annotations

from django.urls import path

from frontend import editor_views

urlpatterns = [
    path("frames/<int:pk>/edit/", editor_views.editor, name="frame-edit"),
    path("projects/<slug:slug>/queue/", editor_views.queue, name="annotation-queue"),
    path(
        "projects/<slug:slug>/queue/next/",
        editor_views.queue_next_frame,
        name="annotation-queue-next",
    ),
    path(
        "projects/<slug:slug>/queue/order/",
        editor_views.queue_order,
        name="annotation-queue-order",
    ),
]
