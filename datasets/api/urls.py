from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from datasets.api import upload_views, video_views, views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("patients", views.PatientViewSet, basename="patient")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")
router.register("jobs", views.JobViewSet, basename="job")
router.register("videos", video_views.VideoViewSet, basename="video")
router.register("frames", video_views.FrameViewSet, basename="frame")


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
