"""What frozen dataset versions hold of some videos or patients: the facts that refuse deleting
a video and merging patients.

The versions app sits above this layer, so nothing is imported from it: its rows are read
through the project's reverse relation (`project.versions`, each with its `items`), and the
database's RESTRICT foreign keys stay the last word on deletion."""

from __future__ import annotations

from collections import defaultdict

from datasets.models import Patient, Project, Video


def versions_holding_video(*, video: Video) -> list[int]:
    """Numbers of the frozen versions with at least one frame of `video`."""
    project: Project = video.project
    numbers = project.versions.filter(items__frame__video=video).values_list("number", flat=True)
    return sorted(set(numbers))


def versions_holding_patient(*, patient: Patient) -> list[int]:
    """Numbers of the frozen versions with a frame of `patient` (now or when frozen)."""
    project: Project = patient.project
    now = project.versions.filter(items__frame__video__patient=patient)
    then = project.versions.filter(items__patient=patient)
    return sorted(
        set(now.values_list("number", flat=True)) | set(then.values_list("number", flat=True))
    )


def frozen_splits(*, project: Project, patients: list[Patient]) -> dict[int, set[str]]:
    """{version number: the splits in which that version holds frames now belonging to any of
    `patients`}. Frames follow their video's patient, so a merged-away patient's frames count
    under the patient that holds them today."""
    splits: dict[int, set[str]] = defaultdict(set)
    for version in project.versions.only("pk", "number"):
        held = version.items.filter(frame__video__patient__in=patients)
        splits[version.number] |= set(held.values_list("split", flat=True).distinct())
    return {number: found for number, found in splits.items() if found}
