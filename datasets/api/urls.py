from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from datasets.api import media_views, upload_views, views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("patients", views.PatientViewSet, basename="patient")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")
router.register("jobs", views.JobViewSet, basename="job")
router.register("videos", media_views.VideoViewSet, basename="video")
router.register("frames", media_views.FrameViewSet, basename="frame")

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
    *router.urls,
]
