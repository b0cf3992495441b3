"""Mounted under /api/v1/ beside datasets' router; `frames/<id>/annotation/` etc. do not clash
with its `frames/<pk>/` and `frames/<pk>/image/` routes."""

from __future__ import annotations

from django.urls import include, path, re_path

from annotator.api import views

urlpatterns = [
    path(
        "frames/<int:frame_id>/annotation/",
        views.FrameAnnotationView.as_view(),
        name="frame-annotation",
    ),
    path(
        "frames/<int:frame_id>/annotation/review/",
        views.ReviewView.as_view(),
        name="frame-annotation-review",
    ),
    path(
        "frames/<int:frame_id>/annotation/reopen/",
        views.ReopenView.as_view(),
        name="frame-annotation-reopen",
    ),
    path(
        "frames/<int:frame_id>/annotation/stroke/",
        views.StrokeView.as_view(),
        name="frame-annotation-stroke",
    ),
    path(
        "frames/<int:frame_id>/annotation/revisions/",
        views.RevisionListView.as_view(),
        name="frame-annotation-revisions",
    ),
    path(
        "frames/<int:frame_id>/predictions/",
        views.PredictionListView.as_view(),
        name="frame-predictions",
    ),
    re_path(
        r"^predictions/(?P<pk>[0-9]+)/(?P<kind>probability|saliency)\.png$",
        views.PredictionMapView.as_view(),
        name="prediction-map",
    ),
    path("frames/<int:frame_id>/propose/", views.ProposeView.as_view(), name="frame-propose"),
    path("frames/<int:frame_id>/geometry/", views.GeometryView.as_view(), name="frame-geometry"),
    path("videos/<int:video_id>/filmstrip/", views.FilmstripView.as_view(), name="video-filmstrip"),
    path("annotations/", views.AnnotationListView.as_view(), name="annotation-list"),
    path("queue/next/", views.QueueNextView.as_view(), name="queue-next"),
    path("queue/summary/", views.QueueSummaryView.as_view(), name="queue-summary"),
    path("queue/order/", views.QueueOrderView.as_view(), name="queue-order"),
    path("", include("annotator.api.label_urls")),
    path("video-assignments/", views.AssignmentView.as_view(), name="video-assignments"),
]
