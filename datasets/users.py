"""The user types of NerveMark's signatures (the project keeps Django's default user model).

`User` is someone signed in: model foreign keys (`created_by`, `annotator`) and the services
that write them take it. `RequestUser` is whoever is asking, possibly nobody: what
`request.user` holds before authentication is checked; `datasets.access` and the selectors that
scope by caller accept it. Views narrow one to the other with `access.signed_in`.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

User: TypeAlias = AuthUser
RequestUser: TypeAlias = AuthUser | AnonymousUser
