"""Routes of the label-class API (mounted by annotator.api.urls under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from annotator.api import label_views

urlpatterns = [
    path("label-classes/", label_views.LabelClassView.as_view(), name="label-classes"),
    path(
        "label-classes/reorder/",
        label_views.LabelClassReorderView.as_view(),
        name="label-classes-reorder",
    ),
    path(
        "label-classes/<int:pk>/",
        label_views.LabelClassDetailView.as_view(),
        name="label-class-detail",
    ),
]
