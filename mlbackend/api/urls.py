"""Routes of the training and model API, mounted under /api/v1/."""

from __future__ import annotations

from django.urls import path

from mlbackend.api import views

urlpatterns = [
    path(
        "projects/<slug:slug>/training-jobs/",
        views.TrainingJobListView.as_view(),
        name="training-jobs",
    ),
    path("training-jobs/<int:pk>/", views.TrainingJobDetailView.as_view(), name="training-job"),
    path(
        "training-jobs/<int:pk>/cancel/",
        views.TrainingJobCancelView.as_view(),
        name="training-job-cancel",
    ),
    path("projects/<slug:slug>/models/", views.ModelListView.as_view(), name="models"),
    path(
        "projects/<slug:slug>/models/compare/",
        views.ModelCompareView.as_view(),
        name="models-compare",
    ),
    path("models/<int:pk>/", views.ModelDetailView.as_view(), name="model-detail"),
    path("models/<int:pk>/activate/", views.ModelActivateView.as_view(), name="model-activate"),
    path("models/<int:pk>/weights/", views.ModelWeightsView.as_view(), name="model-weights"),
    path(
        "models/<int:pk>/preannotate/",
        views.PreannotateView.as_view(),
        name="model-preannotate",
    ),
    path(
        "predictions/<int:pk>/saliency/",
        views.SaliencyView.as_view(),
        name="prediction-saliency",
    ),
    path(
        "models/<int:pk>/evaluations/",
        views.ModelEvaluationsView.as_view(),
        name="model-evaluations",
    ),
]
