from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from datasets.models import AuditEvent, BackgroundJob, Membership, Patient, Project


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through their services (audited) or never: frozen versions,
    exports, training jobs, models."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
class PatientAdmin(admin.ModelAdmin):
    list_display = ["code", "project", "split", "created_at"]
    list_filter = ["project", "split"]
    search_fields = ["code"]
    readonly_fields = ["code"]


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "project", "status", "progress", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in BackgroundJob._meta.fields]


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
