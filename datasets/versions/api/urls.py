"""Routes of the versions API, mounted under /api/v1/ beside the datasets routes."""

from __future__ import annotations

from django.urls import path

from datasets.versions.api import views

urlpatterns = [
    path("projects/<slug:slug>/splits/", views.SplitOverviewView.as_view(), name="splits"),
    path("projects/<slug:slug>/splits/move/", views.SplitMoveView.as_view(), name="splits-move"),
    path(
        "projects/<slug:slug>/splits/auto-assign/",
        views.AutoAssignView.as_view(),
        name="splits-auto-assign",
    ),
    path("projects/<slug:slug>/splits/kfold/", views.KFoldView.as_view(), name="splits-kfold"),
    path("projects/<slug:slug>/leakage/", views.LeakageView.as_view(), name="leakage"),
    path("projects/<slug:slug>/dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("projects/<slug:slug>/versions/", views.VersionListView.as_view(), name="versions"),
    path("projects/<slug:slug>/imports/", views.ImportView.as_view(), name="imports"),
    path("versions/<int:pk>/", views.VersionDetailView.as_view(), name="version-detail"),
    path(
        "versions/<int:pk>/diff/<int:other>/", views.VersionDiffView.as_view(), name="version-diff"
    ),
    path("versions/<int:pk>/exports/", views.VersionExportsView.as_view(), name="version-exports"),
    path("exports/<uuid:pk>/", views.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<uuid:pk>/download/", views.ExportDownloadView.as_view(), name="export-download"),
]
