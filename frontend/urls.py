from __future__ import annotations

from django.urls import include, path

from frontend import media_views, model_views, split_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/splits/", split_views.splits_page, name="split-manager"),
    path("projects/<slug:slug>/models/", model_views.models_page, name="models-page"),
    path(
        "projects/<slug:slug>/models/compare/",
        model_views.models_compare_page,
        name="models-compare-page",
    ),
    path("projects/<slug:slug>/models/<int:pk>/", model_views.model_page, name="model-page"),
    path(
        "projects/<slug:slug>/models/<int:pk>/preannotate/",
        model_views.model_preannotate,
        name="model-preannotate",
    ),
    path(
        "projects/<slug:slug>/training-jobs/<int:pk>/",
        model_views.training_job_page,
        name="training-job-page",
    ),
    path("projects/<slug:slug>/patients/new/", views.patient_new, name="patient-new"),
    path("patients/<int:pk>/split/", views.patient_split, name="patient-split"),
    path("patients/<int:pk>/merge/", views.patient_merge, name="patient-merge"),
    path("patients/<int:pk>/delete/", views.patient_delete, name="patient-delete"),
    path(
        "projects/<slug:slug>/patients/<str:code>/",
        media_views.patient_detail,
        name="patient-detail",
    ),
    path("videos/<int:pk>/frames/", media_views.video_frames, name="video-frames"),
    path("system/selfcheck/", views.selfcheck_start, name="selfcheck"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job-detail"),
    path("", include("frontend.editor_urls")),
    path("", include("frontend.manage_urls")),
]
