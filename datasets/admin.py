from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from config.exceptions import ApplicationError
from datasets import access
from datasets.models import (
    AuditEvent,
    BackgroundJob,
    Frame,
    Membership,
    Patient,
    Project,
    UploadSession,
    Video,
)
from datasets.services import patients as patient_services
from datasets.services import videos as video_services
from datasets.video.errors import without_paths


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through their services (audited) or never: frozen versions,
    exports, training jobs, models."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ImmutableAdmin(ReadOnlyAdmin):
    """Rows that are never deleted on their own either (revisions, frames: they go with what
    they belong to)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceDeleteAdmin(admin.ModelAdmin):
    """Deletion through the app's service (the same refusal, audit and file removal as the API),
    one object at a time: the service says why not before Django's confirmation page shows."""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would bypass the refusal
        return actions

    def refusal(self, obj: Any) -> ApplicationError | None:
        raise NotImplementedError

    def delete_through_service(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        refusal = self.refusal(obj) if obj is not None else None
        if refusal is not None:
            self.message_user(request, refusal.message, messages.ERROR)
            opts = self.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            return HttpResponseRedirect(url)
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, ...]:
        # The service decides (delete_view asked it first): the rows that go with the object
        # (frames, revisions: not deletable on their own here) need no permission of their own,
        # and RESTRICT rows were the service's refusal already.
        deleted, counts, _perms, _protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), []

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_through_service(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_through_service(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    autocomplete_fields = ["user"]


@admin.register(Patient)
class PatientAdmin(ServiceDeleteAdmin):
    """Patients are created in the app (a random code) and change split in the split manager
    (audited, with its contamination check): here they are read, and deleted by the service."""

    list_display = ["code", "project", "split", "test_evaluated_at", "created_at"]
    list_filter = ["project", "split"]
    search_fields = ["code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def refusal(self, obj: Patient) -> ApplicationError | None:
        return patient_services.patient_delete_refusal(patient=obj)

    def delete_through_service(self, request: HttpRequest, obj: Patient) -> None:
        patient_services.patient_delete(patient=obj, by=access.signed_in(request))


@admin.register(Video)
class VideoAdmin(ServiceDeleteAdmin):
    """Videos arrive by upload or import; a failed (or any unfrozen) one is deleted here
    through `video_delete`, refused with its reason when a frozen version holds its frames."""

    list_display = ["id", "project", "patient", "status", "codec", "frame_count", "created_at"]
    list_filter = ["status", "project"]
    search_fields = ["patient__code", "sha256"]
    list_select_related = ["project", "patient"]
    exclude = ["error"]
    readonly_fields = ["reason"]

    @admin.display(description="error")
    def reason(self, obj: Video) -> str:
        return without_paths(obj.error)  # rows from before errors were made path-free

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def refusal(self, obj: Video) -> ApplicationError | None:
        return video_services.video_delete_refusal(video=obj)

    def delete_through_service(self, request: HttpRequest, obj: Video) -> None:
        video_services.video_delete(video=obj, by=access.signed_in(request))


@admin.register(Frame)
class FrameAdmin(ImmutableAdmin):
    """Frames come from extraction and go with their video."""

    list_display = ["id", "video", "index", "timestamp_ms", "excluded", "exclusion_reason"]
    list_filter = ["excluded", "exclusion_reason", "video__project"]
    list_select_related = ["video"]
    search_fields = ["video__patient__code"]


@admin.register(UploadSession)
class UploadSessionAdmin(ImmutableAdmin):
    """Chunked uploads; abandoned ones are freed by `manage.py cleanup_uploads`."""

    list_display = ["id", "project", "patient", "status", "size_bytes", "created_at"]
    list_filter = ["status", "project"]
    list_select_related = ["project", "patient"]


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "project", "status", "progress", "created_at"]
    list_filter = ["kind", "status"]
    exclude = ["error"]
    readonly_fields = [f.name for f in BackgroundJob._meta.fields if f.name != "error"]
    readonly_fields.append("reason")

    @admin.display(description="error")
    def reason(self, obj: BackgroundJob) -> str:
        return without_paths(obj.error)  # where the media lies on the server is not shown


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, also for administrators."""

    list_display = ["created_at", "username", "action", "project", "object_type", "object_id"]
    list_filter = ["action", "project"]
    search_fields = ["username", "object_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
