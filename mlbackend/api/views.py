"""Training jobs, models, evaluations and comparisons: validate -> service -> serialize."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.selectors import prediction_for
from datasets import access
from datasets.access import Capability
from datasets.api.serializers import JobSerializer
from datasets.media import file_response
from datasets.services.audit import client_ip
from mlbackend import selectors
from mlbackend.api.serializers import (
    CompareSerializer,
    EvaluationCreateSerializer,
    EvaluationSerializer,
    ModelSerializer,
    PreannotateSerializer,
    SaliencySerializer,
    TrainingCreateSerializer,
    TrainingJobSerializer,
)
from mlbackend.services import evaluation as evaluation_services
from mlbackend.services import preannotation as preannotation_services
from mlbackend.services import registry as registry_services
from mlbackend.services import training as training_services

HYPERPARAMETERS = ("epochs", "image_size", "batch_size", "lr", "seed", "augment_strength")


class TrainingJobListView(APIView):
    @extend_schema(responses={200: TrainingJobSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        jobs = selectors.training_jobs_of(project=project)
        return Response(TrainingJobSerializer(jobs, many=True).data)

    @extend_schema(request=TrainingCreateSerializer, responses={201: TrainingJobSerializer})
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug, need=Capability.TRAIN)
        data = TrainingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        warm = v["warm_start"]
        training = training_services.training_start(
            project=project,
            version=selectors.dataset_version_of(project=project, pk=v["dataset_version"]),
            arch=v["arch"],
            params={k: v[k] for k in HYPERPARAMETERS if k in v},
            by=access.signed_in(request),
            warm_start=selectors.model_of(project=project, pk=warm) if warm else None,
            then_evaluate=v["then_evaluate"],
            then_activate=v["then_activate"],
        )
        return Response(TrainingJobSerializer(training).data, status=status.HTTP_201_CREATED)


class TrainingJobDetailView(APIView):
    @extend_schema(responses={200: TrainingJobSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            TrainingJobSerializer(selectors.training_job_for(user=request.user, pk=pk)).data
        )


class TrainingJobCancelView(APIView):
    @extend_schema(request=None, responses={200: TrainingJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        training = selectors.training_job_for(user=request.user, pk=pk, need=Capability.TRAIN)
        training = training_services.training_cancel(
            training=training, by=access.signed_in(request)
        )
        return Response(TrainingJobSerializer(training).data)


class ModelListView(APIView):
    @extend_schema(responses={200: ModelSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        return Response(ModelSerializer(selectors.models_of(project=project), many=True).data)


class ModelDetailView(APIView):
    @extend_schema(responses={200: ModelSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ModelSerializer(selectors.model_for(user=request.user, pk=pk)).data)


class ModelActivateView(APIView):
    @extend_schema(request=None, responses={200: ModelSerializer})
    def post(self, request: Request, pk: int) -> Response:
        model = selectors.model_for(user=request.user, pk=pk, need=Capability.TRAIN)
        model = registry_services.model_activate(model=model, by=access.signed_in(request))
        return Response(ModelSerializer(model).data)


class ModelWeightsView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        model = selectors.model_for(user=request.user, pk=pk, need=Capability.DOWNLOAD_MODELS)
        name = registry_services.model_download_record(
            model=model, by=access.signed_in(request), ip=client_ip(request)
        )
        filename = f"{model.project.slug}-model-{model.number}-{model.arch}.safetensors"
        return file_response(name, download_name=filename)


class ModelEvaluationsView(APIView):
    @extend_schema(responses={200: EvaluationSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        model = selectors.model_for(user=request.user, pk=pk)
        return Response(EvaluationSerializer(selectors.evaluations_of(model=model), many=True).data)

    @extend_schema(request=EvaluationCreateSerializer, responses={202: EvaluationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        model = selectors.model_for(user=request.user, pk=pk, need=Capability.TRAIN)
        data = EvaluationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version_id = data.validated_data["dataset_version"]
        version = (
            selectors.dataset_version_of(project=model.project, pk=version_id)
            if version_id
            else None
        )
        evaluation = evaluation_services.evaluation_start(
            model=model, version=version, by=access.signed_in(request)
        )
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_202_ACCEPTED)


class ModelCompareView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("ids", str, description="Model ids, comma-separated (2 or more)"),
            OpenApiParameter("version", int, required=False),
        ],
        responses={200: CompareSerializer},
    )
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        try:
            ids = [int(x) for x in request.query_params.get("ids", "").split(",") if x.strip()]
            version = (
                int(request.query_params["version"])
                if request.query_params.get("version")
                else None
            )
        except ValueError as exc:
            raise ValidationError(
                {"ids": "Give model ids as numbers separated by commas."}
            ) from exc
        return Response(selectors.models_compare(project=project, ids=ids, version_id=version))


class PreannotateView(APIView):
    """Queue the model's pre-annotation of a scope's unannotated frames (ML staff from the
    model page, data managers from a patient's page)."""

    @extend_schema(request=PreannotateSerializer, responses={202: JobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        model = selectors.model_for(user=request.user, pk=pk)
        if not access.can(request.user, Capability.MANAGE_DATA, model.project_id):
            access.require(request.user, Capability.TRAIN, model.project_id)
        data = PreannotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = preannotation_services.preannotate_start(
            model=model,
            scope=data.validated_data["scope"],
            scope_id=data.validated_data["id"],
            by=access.signed_in(request),
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class SaliencyView(APIView):
    """The FullGrad map of a prediction: GET where it stands, POST to have it computed."""

    def _answer(self, prediction: Any, state: dict[str, Any]) -> dict[str, Any]:
        done = state["status"] == "done"
        url = f"/api/v1/predictions/{prediction.pk}/saliency.png" if done else None
        return {**state, "url": url}

    @extend_schema(responses={200: SaliencySerializer})
    def get(self, request: Request, pk: int) -> Response:
        prediction = prediction_for(user=request.user, pk=pk)
        state = preannotation_services.saliency_state(prediction=prediction)
        return Response(self._answer(prediction, state))

    @extend_schema(request=None, responses={200: SaliencySerializer, 202: SaliencySerializer})
    def post(self, request: Request, pk: int) -> Response:
        prediction = prediction_for(user=request.user, pk=pk)  # any member: one map, kept
        state = preannotation_services.saliency_start(
            prediction=prediction, by=access.signed_in(request)
        )
        code = status.HTTP_200_OK if state["status"] == "done" else status.HTTP_202_ACCEPTED
        return Response(self._answer(prediction, state), status=code)
