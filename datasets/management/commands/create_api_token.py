"""Print an API token for a user (`Authorization: Token <key>`), creating it if needed.

The key is the only line on stdout (scripts capture it); when and how recently the existing
token was used goes to stderr."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token

from datasets.models import ApiTokenUse
from datasets.services.audit import audit_record


class Command(BaseCommand):
    help = "Print the API token of USERNAME (created on first use; --rotate replaces it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="replace an existing token")

    def handle(self, *args: Any, username: str, rotate: bool, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named '{username}'.") from exc
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created:
            audit_record(user=user, action="auth.token_create")
        else:
            self.stderr.write(_usage(token))
        self.stdout.write(token.key)


def _usage(token: Token) -> str:
    use = ApiTokenUse.objects.filter(token=token).first()
    last = f"{use.last_used_at:%Y-%m-%d %H:%M} UTC" if use else "never"
    return f"Token created {token.created:%Y-%m-%d %H:%M} UTC; last used: {last}."
