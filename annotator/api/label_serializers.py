"""Serializers of the label-class API: shape only, with every rule said in words."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}$"
NAME_RULE = (
    "A label name has 1 to 64 characters: letters, digits, spaces, underscores (_), dots (.) "
    "and hyphens (-), and starts with a letter, a digit or an underscore."
)
COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
COLOR_RULE = "A colour is # followed by six hexadecimal digits, like #56ccf2."


def name_field(*, required: bool = True) -> serializers.RegexField:
    return serializers.RegexField(
        NAME_PATTERN,  # the pattern bounds the length: one message for every way to break it
        error_messages={"invalid": NAME_RULE, "blank": NAME_RULE},
        required=required,
    )


def color_field(*, required: bool = True, default: str | None = None) -> serializers.RegexField:
    rules: dict[str, Any] = {"invalid": COLOR_RULE, "blank": COLOR_RULE}
    if default is None:
        return serializers.RegexField(COLOR_PATTERN, error_messages=rules, required=required)
    return serializers.RegexField(COLOR_PATTERN, error_messages=rules, default=default)


class LabelClassSerializer(serializers.Serializer):
    """One class as lists and answers show it (`id` is null for a project's implicit default;
    `in_use` only when asked for with `?usage=1`)."""

    id = serializers.IntegerField(allow_null=True)
    project = serializers.CharField()
    name = serializers.CharField()
    value = serializers.IntegerField(help_text="the class index in exported masks; never changes")
    color = serializers.CharField()
    position = serializers.IntegerField(help_text="display order")
    hidden = serializers.BooleanField(help_text="offered for no new shape; kept in exports")
    in_use = serializers.BooleanField(required=False)


class LabelClassCreateSerializer(serializers.Serializer):
    project = serializers.SlugField()
    name = name_field()
    color = color_field(default="#56ccf2")


class LabelClassUpdateSerializer(serializers.Serializer):
    """Rename, recolour, hide or show; `value` cannot be sent (it never changes)."""

    name = name_field(required=False)
    color = color_field(required=False)
    hidden = serializers.BooleanField(required=False)


class LabelClassReorderSerializer(serializers.Serializer):
    project = serializers.SlugField()
    order = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=254,
        help_text="every class id of the project, in the new display order",
    )
