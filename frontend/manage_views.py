"""Data managers' pages of a project: label classes and the dashboard."""

from __future__ import annotations
