from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from datasets.api import media_views, upload_views, version_views, views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("patients", views.PatientViewSet, basename="patient")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")
router.register("jobs", views.JobViewSet, basename="job")
router.register("videos", media_views.VideoViewSet, basename="video")
router.register("frames", media_views.FrameViewSet, basename="frame")

vv = version_views
version_views_urls = [
    path("projects/<slug:slug>/splits/", vv.SplitOverviewView.as_view(), name="splits"),
    path("projects/<slug:slug>/splits/move/", vv.SplitMoveView.as_view(), name="splits-move"),
    path(
        "projects/<slug:slug>/splits/auto-assign/",
        vv.AutoAssignView.as_view(),
        name="splits-auto-assign",
    ),
    path("projects/<slug:slug>/splits/kfold/", vv.KFoldView.as_view(), name="splits-kfold"),
    path("projects/<slug:slug>/leakage/", vv.LeakageView.as_view(), name="leakage"),
    path("projects/<slug:slug>/versions/", vv.VersionListView.as_view(), name="versions"),
    path("projects/<slug:slug>/imports/", vv.ImportView.as_view(), name="imports"),
    path("versions/<int:pk>/", vv.VersionDetailView.as_view(), name="version-detail"),
    path("versions/<int:pk>/diff/<int:other>/", vv.VersionDiffView.as_view(), name="version-diff"),
    path("versions/<int:pk>/exports/", vv.VersionExportsView.as_view(), name="version-exports"),
    path("exports/<uuid:pk>/", vv.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<uuid:pk>/download/", vv.ExportDownloadView.as_view(), name="export-download"),
]

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("uploads/", upload_views.UploadStartView.as_view(), name="upload-start"),
    path(
        "uploads/<uuid:upload_id>/", upload_views.UploadDetailView.as_view(), name="upload-detail"
    ),
    path(
        "uploads/<uuid:upload_id>/chunks/<int:index>/",
        upload_views.UploadChunkView.as_view(),
        name="upload-chunk",
    ),
    path(
        "uploads/<uuid:upload_id>/complete/",
        upload_views.UploadCompleteView.as_view(),
        name="upload-complete",
    ),
    *version_views_urls,
    *router.urls,
]
