"""API token authentication that expires old tokens and records when a token was last used."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from datasets.models import ApiTokenUse

# A token used all day writes its last use once a minute, not once a request.
USE_RESOLUTION = timedelta(minutes=1)


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`; refused once older than NERVEMARK_TOKEN_TTL_DAYS (0: never)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = Token.objects.select_related("user", "use").filter(key=key).first()
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        now = timezone.now()
        if token_expired(token, now=now):
            raise AuthenticationFailed(
                "Token has expired; ask an administrator for a new one "
                "(manage.py create_api_token --rotate)."
            )
        token_record_use(token=token, now=now)
        return token.user, token


def token_expired(token: Token, *, now: datetime) -> bool:
    days = int(getattr(settings, "NERVEMARK_TOKEN_TTL_DAYS", 0))
    return days > 0 and token.created <= now - timedelta(days=days)


def token_record_use(*, token: Token, now: datetime) -> None:
    use: ApiTokenUse | None = getattr(token, "use", None)
    if use is not None and use.last_used_at > now - USE_RESOLUTION:
        return
    # An upsert: two first requests at once must not collide on the one-to-one key.
    ApiTokenUse.objects.bulk_create(
        [ApiTokenUse(token=token, last_used_at=now)],
        update_conflicts=True,
        unique_fields=["token"],
        update_fields=["last_used_at"],
    )
