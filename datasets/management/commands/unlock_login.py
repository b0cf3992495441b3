"""Lift a sign-in lockout: for a username, for an address, or every one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from datasets.services.audit import audit_record
from datasets.services.login_limits import login_unlock, login_unlock_all


class Command(BaseCommand):
    help = "Allow sign-in again for USERNAME, for --ip ADDRESS, or for everyone (--all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="")
        parser.add_argument("--ip", default="", help="the client address to unlock")
        parser.add_argument("--all", action="store_true", help="every username and address")

    def handle(self, *args: Any, username: str, ip: str, all: bool, **options: Any) -> None:
        if not (username or ip or all):
            raise CommandError("Name a USERNAME, an --ip ADDRESS, or --all.")
        if all:
            login_unlock_all()
        else:
            login_unlock(username=username or None, ip=ip or None)
        detail = {"all": True} if all else {"username": username, "ip": ip}
        audit_record(user=None, action="login.unlocked", detail=detail)
        self.stdout.write("Unlocked " + ("every sign-in." if all else f"{username or ip}."))
