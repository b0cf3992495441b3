"""The annotation API: validate input -> call a service -> serialize output.

A frame's annotation lives at /api/v1/frames/{id}/annotation/: GET answers an `ETag` (the
version); PUT/PATCH must send it back in `If-Match` (428 without, 412 with a stale one)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import selectors
from annotator.api import serializers as s
from annotator.models import Annotation
from annotator.services import annotations as annotation_services
from annotator.services import propagation
from annotator.services import queue as queue_services
from annotator.services import review as review_services
from config.exceptions import ApplicationError, NotFound
from datasets import access
from datasets.access import Capability
from datasets.media import file_response


def _etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> int:
    """The version named by If-Match: 428 without one, 400 when it is not ours."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise ApplicationError(
            'Send If-Match with the ETag you loaded ("0" for a frame not annotated yet).',
            code="precondition_required",
            status_code=status.HTTP_428_PRECONDITION_REQUIRED,
        )
    tag = raw.removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ApplicationError(f"If-Match {raw[:40]!r} is not an ETag of this API.")
    return int(tag)


def annotation_response(annotation: Annotation | None, frame_id: int, code: int = 200) -> Response:
    if annotation is None:
        return Response(s.empty_annotation(frame_id), status=code, headers={"ETag": _etag(0)})
    body = s.AnnotationSerializer(annotation).data
    return Response(body, status=code, headers={"ETag": _etag(annotation.version)})


def stale_response(exc: annotation_services.StaleAnnotation, frame_id: int) -> Response:
    response = annotation_response(exc.current, frame_id, code=status.HTTP_412_PRECONDITION_FAILED)
    response.data = {"detail": exc.message, "code": exc.code, "current": response.data}
    return response


class FrameAnnotationView(APIView):
    """The one current annotation of a frame."""

    @extend_schema(responses={200: s.AnnotationSerializer})
    def get(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id)
        return annotation_response(selectors.annotation_of_frame(frame=frame), frame.pk)

    @extend_schema(
        request=s.AnnotationWriteSerializer,
        responses={200: s.AnnotationSerializer, 412: dict, 428: dict},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def put(self, request: Request, frame_id: int) -> Response:
        return self._save(request, frame_id, partial=False)

    @extend_schema(
        request=s.AnnotationWriteSerializer,
        responses={200: s.AnnotationSerializer, 412: dict, 428: dict},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def patch(self, request: Request, frame_id: int) -> Response:
        return self._save(request, frame_id, partial=True)

    def _save(self, request: Request, frame_id: int, *, partial: bool) -> Response:
        frame = access.frame_for(request.user, frame_id, need=Capability.ANNOTATE)
        version = expected_version(request)
        data = s.AnnotationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not partial and "shapes" not in values:
            raise ValidationError(
                {"shapes": "PUT needs shapes ([] with not_visible true: the nerve is not visible)."}
            )
        try:
            annotation = annotation_services.annotation_save(
                frame=frame,
                user=access.signed_in(request),
                expected_version=version,
                shapes=values.get("shapes"),
                status=values.get("status"),
                source=values.get("source"),
                prediction_id=values.get("prediction"),
                repair=values["repair"],
                edit_seconds=values.get("edit_seconds"),
                not_visible=values.get("not_visible", None if partial else False),
            )
        except annotation_services.StaleAnnotation as exc:
            return stale_response(exc, frame.pk)
        return annotation_response(annotation, frame.pk)


class ReviewView(APIView):
    @extend_schema(request=s.ReviewSerializer, responses={200: s.AnnotationSerializer})
    def post(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id, need=Capability.REVIEW)
        version = expected_version(request)
        data = s.ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            annotation = review_services.annotation_review(
                frame=frame,
                user=access.signed_in(request),
                expected_version=version,
                approve=data.validated_data["decision"] == "approve",
                comment=data.validated_data["comment"],
            )
        except annotation_services.StaleAnnotation as exc:
            return stale_response(exc, frame.pk)
        return annotation_response(annotation, frame.pk)


class ReopenView(APIView):
    """A data manager reopens an approved annotation (If-Match): back to `submitted`."""

    @extend_schema(
        request=s.ReopenSerializer,
        responses={200: s.AnnotationSerializer, 409: dict, 412: dict, 428: dict},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def post(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id, need=Capability.REVIEW)
        version = expected_version(request)
        data = s.ReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            annotation = review_services.annotation_reopen(
                frame=frame,
                user=access.signed_in(request),
                expected_version=version,
                comment=data.validated_data["comment"],
            )
        except annotation_services.StaleAnnotation as exc:
            return stale_response(exc, frame.pk)
        return annotation_response(annotation, frame.pk)


class StrokeView(APIView):
    """A brush or eraser stroke merged into the annotation and saved in one request (If-Match),
    so the editor sends a stroke once, not again with its next autosave."""

    @extend_schema(
        request=s.StrokeSerializer,
        responses={200: s.AnnotationSerializer, 409: dict, 412: dict, 428: dict},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def post(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id, need=Capability.ANNOTATE)
        version = expected_version(request)
        data = s.StrokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            annotation = annotation_services.annotation_stroke(
                frame=frame,
                user=access.signed_in(request),
                expected_version=version,
                op=v["op"],
                stroke=v["stroke"],
                radius=v["radius"],
                label=v.get("label"),
                shapes=v.get("shapes"),
                source=v.get("source"),
                prediction_id=v.get("prediction"),
                edit_seconds=v.get("edit_seconds"),
            )
        except annotation_services.StaleAnnotation as exc:
            return stale_response(exc, frame.pk)
        return annotation_response(annotation, frame.pk)


class RevisionListView(APIView):
    @extend_schema(responses={200: s.RevisionSerializer(many=True)})
    def get(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id)
        annotation = selectors.annotation_of_frame(frame=frame)
        if annotation is None:
            return Response([])
        revisions = selectors.revisions_of(annotation=annotation)
        return Response(s.RevisionSerializer(revisions, many=True).data)


class PredictionListView(APIView):
    @extend_schema(responses={200: s.PredictionSerializer(many=True)})
    def get(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id)
        predictions = selectors.predictions_of_frame(frame=frame)[:5]
        return Response(s.PredictionSerializer(predictions, many=True).data)


class PredictionMapView(APIView):
    """A prediction's stored map as a grayscale PNG: the nerve probability, or the FullGrad
    saliency once computed (404 until then)."""

    @extend_schema(responses={(200, "image/png"): bytes})
    def get(self, request: Request, pk: int, kind: str) -> HttpResponseBase:
        prediction = selectors.prediction_for(user=request.user, pk=pk)
        name = prediction.probability if kind == "probability" else prediction.saliency
        return file_response(name)


class ProposeView(APIView):
    """Shapes for this frame from the previous annotated one (copy, or warped by flow)."""

    @extend_schema(request=s.ProposeSerializer, responses={200: dict})
    def post(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id, need=Capability.ANNOTATE)
        data = s.ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            propagation.annotation_propose_from_previous(
                frame=frame, mode=data.validated_data["mode"]
            )
        )


class GeometryView(APIView):
    """Polygon boolean operations for the editor's brush, eraser and repair (shapely)."""

    @extend_schema(request=s.GeometrySerializer, responses={200: dict})
    def post(self, request: Request, frame_id: int) -> Response:
        frame = access.frame_for(request.user, frame_id, need=Capability.ANNOTATE)
        data = s.GeometrySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        shapes = annotation_services.shapes_edit(
            frame=frame,
            op=v["op"],
            shapes=v["shapes"],
            stroke=v.get("stroke"),
            radius=v.get("radius"),
            label=v.get("label"),
        )
        return Response({"shapes": shapes})


class AnnotationListView(ListAPIView):
    """Annotations without their shapes: review lists, the filmstrip's status dots."""

    serializer_class = s.AnnotationListSerializer

    def get_queryset(self) -> QuerySet[Annotation]:
        if getattr(self, "swagger_fake_view", False):
            return Annotation.objects.none()
        params = self.request.query_params
        video = params.get("video")
        return selectors.annotations_for_user(
            user=self.request.user,
            project_slug=params.get("project"),
            status=params.get("status"),
            video_id=int(video) if video and video.isdigit() else None,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str),
            OpenApiParameter("status", str),
            OpenApiParameter("video", int),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class FilmstripView(APIView):
    """The editor's window on a video: the frames around one (`around`, a frame id, or `at_ms`,
    the nearest frame in time), with their annotation status, and the previous and next one."""

    @extend_schema(
        parameters=[
            OpenApiParameter("around", int),
            OpenApiParameter("at_ms", float),
            OpenApiParameter("radius", int, description="frames either side, 0-50 (8)"),
        ],
        responses={200: dict},
    )
    def get(self, request: Request, video_id: int) -> Response:
        video = access.video_for(request.user, video_id)
        data = s.FilmstripQuerySerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        q = data.validated_data
        if q.get("around") is None and q.get("at_ms") is None:
            raise ValidationError({"around": "Name a frame (around=ID) or a time (at_ms=MS)."})
        window = selectors.filmstrip(
            video_id=video.pk, around=q.get("around"), at_ms=q.get("at_ms"), radius=q["radius"]
        )
        if window is None:
            raise NotFound("That frame is not one of this video's.")
        return Response(window)


class QueueNextView(APIView):
    """Claims the frame it answers (a POST: link prefetchers must not take frames)."""

    @extend_schema(
        parameters=[OpenApiParameter("project", str, required=True), OpenApiParameter("skip", int)],
        request=None,
        responses={200: dict, 204: None},
    )
    def post(self, request: Request) -> Response:
        project = access.project_for(
            request.user, request.query_params.get("project", ""), need=Capability.ANNOTATE
        )
        skip = request.query_params.get("skip", "")
        frame = queue_services.queue_next(
            project=project,
            user=access.signed_in(request),
            skip=int(skip) if skip.isdigit() else None,
        )
        if frame is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            {"frame": frame.pk, "video": frame.video_id, "editor_url": f"/frames/{frame.pk}/edit/"}
        )


class QueueSummaryView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("project", str, required=True)], responses={200: dict}
    )
    def get(self, request: Request) -> Response:
        project = access.project_for(request.user, request.query_params.get("project", ""))
        return Response(selectors.queue_summary(project=project, user=access.signed_in(request)))


class QueueOrderView(APIView):
    """The project's queue order: video order, most uncertain first, or random."""

    @extend_schema(request=s.QueueOrderSerializer, responses={200: s.QueueOrderSerializer})
    def post(self, request: Request) -> Response:
        data = s.QueueOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = access.project_for(
            request.user, data.validated_data["project"], need=Capability.MANAGE_LABELING
        )
        project = queue_services.queue_order_set(
            project=project, order=data.validated_data["queue_order"], by=access.signed_in(request)
        )
        return Response({"project": project.slug, "queue_order": project.queue_order})


class AssignmentView(APIView):
    @extend_schema(request=s.AssignmentSerializer, responses={201: dict})
    def post(self, request: Request) -> Response:
        data = s.AssignmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = access.video_for(
            request.user, data.validated_data["video"], need=Capability.MANAGE_LABELING
        )
        user = get_object_or_404(
            get_user_model(), username=data.validated_data["username"], is_active=True
        )
        queue_services.video_assign(video=video, user=user, by=access.signed_in(request))
        return Response(
            {"video": video.pk, "username": user.get_username()}, status=status.HTTP_201_CREATED
        )
