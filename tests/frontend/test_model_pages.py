"""The ML pages as server-rendered HTML: who gets which page and which controls (the live parts
are in tests/e2e/test_models.py)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from datasets.versions.models import DatasetVersion
from datasets.versions.services.freeze import version_freeze
from mlbackend.models import ModelVersion, TrainingJob
from mlbackend.services.training import training_start
from tests.factories import RolesWorld, make_split_patients

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(roles_world: RolesWorld) -> DatasetVersion:
    make_split_patients(roles_world.project)
    return version_freeze(project=roles_world.project, by=roles_world.users["data_manager"])


@pytest.fixture
def model(roles_world: RolesWorld, version: DatasetVersion) -> ModelVersion:
    """A registered model row (no weights: the pages only read the registry)."""
    training = training_start(
        project=roles_world.project,
        version=version,
        arch="unet",
        params={"epochs": 2, "image_size": 64},
        by=roles_world.users["ml_staff"],
        enqueue=False,
    )
    return ModelVersion.objects.create(
        project=roles_world.project,
        number=1,
        training_job=training,
        arch="unet",
        weights="models/x.safetensors",
        sha256="ab" * 32,
        param_count=1234567,
        config={"image_size": 64, "model": {"arch": "unet"}},
        dataset_version=version,
        dataset_checksum=version.checksum,
        val_metrics={"nerve_iou": 0.5},
    )


def pages(model: ModelVersion) -> list[str]:
    training: TrainingJob = model.training_job
    return [
        "/projects/alpha/models/",
        f"/projects/alpha/training-jobs/{training.pk}/",
        f"/projects/alpha/models/{model.pk}/",
        f"/projects/alpha/models/compare/?ids={model.pk},{model.pk}",
    ]


def test_the_project_page_links_the_models_page(roles_world: RolesWorld) -> None:
    html = roles_world.page_client("annotator").get("/projects/alpha/").content.decode()
    assert 'href="/projects/alpha/models/"' in html


def test_outsiders_get_404_on_every_ml_page(roles_world: RolesWorld, model: ModelVersion) -> None:
    client = roles_world.page_client("outsider")
    for url in pages(model):
        assert client.get(url).status_code == 404, url


def test_a_job_or_model_under_another_projects_address_is_404(
    roles_world: RolesWorld, model: ModelVersion
) -> None:
    client = roles_world.page_client("admin")  # sees both projects
    assert client.get(f"/projects/bravo/models/{model.pk}/").status_code == 404
    training = model.training_job_id
    assert client.get(f"/projects/bravo/training-jobs/{training}/").status_code == 404
    assert client.get(f"/projects/alpha/models/{model.pk}/").status_code == 200


def test_ml_staff_get_the_train_form_with_defaults_and_the_model_actions(
    roles_world: RolesWorld, model: ModelVersion, version: DatasetVersion
) -> None:
    client = roles_world.page_client("ml_staff")
    html = client.get("/projects/alpha/models/").content.decode()
    assert 'data-testid="train-form"' in html
    assert f'<option value="{version.pk}">v{version.number}' in html
    assert '<option value="improved_unet_lite" selected>' in html
    for field, value in [
        ("epochs", "30"),
        ("image_size", "256"),
        ("batch_size", "8"),
        ("lr", "0.001"),
    ]:
        assert f'name="{field}"' in html
        assert re.search(rf'name="{field}"[^>]*value="{re.escape(value)}"', html), field
    for arch in ("improved_unet", "unet", "attention_unet", "unetpp"):
        assert f'value="{arch}"' in html
    card = client.get(f"/projects/alpha/models/{model.pk}/").content.decode()
    assert 'data-testid="evaluate"' in card
    assert 'data-testid="activate"' in card
    assert 'data-testid="download"' in card
    assert "1,234,567" in card
    assert version.checksum in card
    job = client.get(f"/projects/alpha/training-jobs/{model.training_job_id}/").content.decode()
    assert 'data-testid="cancel"' in job


def test_annotators_read_the_pages_without_controls(
    roles_world: RolesWorld, model: ModelVersion
) -> None:
    client = roles_world.page_client("annotator")
    for url in pages(model):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for control in ("train-form", "evaluate", "activate", "cancel", "download"):
            assert f'data-testid="{control}"' not in html, (url, control)


def test_data_managers_may_download_weights_but_not_train(
    roles_world: RolesWorld, model: ModelVersion
) -> None:
    client = roles_world.page_client("data_manager")
    card = client.get(f"/projects/alpha/models/{model.pk}/").content.decode()
    assert 'data-testid="download"' in card
    assert 'data-testid="activate"' not in card
    assert 'data-testid="train-form"' not in client.get("/projects/alpha/models/").content.decode()


def test_without_a_frozen_version_the_form_says_where_to_make_one(roles_world: RolesWorld) -> None:
    html = roles_world.page_client("ml_staff").get("/projects/alpha/models/").content.decode()
    assert 'data-testid="no-versions"' in html
    assert "/projects/alpha/splits/" in html


def test_the_pages_load_their_scripts_and_styles_from_this_server(
    roles_world: RolesWorld, model: ModelVersion
) -> None:
    client = roles_world.page_client("ml_staff")
    for url in pages(model):
        html = client.get(url).content.decode()
        assert "https://" not in html, url
        assert "http://" not in html, url
        assert "<script>" not in html, url  # no inline scripts (json_script data is not code)


def test_ml_staff_preannotate_from_the_model_page_and_see_the_job_and_live_quality(
    roles_world: RolesWorld, model: ModelVersion
) -> None:
    from datasets.models import BackgroundJob

    page = roles_world.page_client("ml_staff")
    url = f"/projects/alpha/models/{model.pk}/"
    html = page.get(url).content.decode()
    assert 'data-testid="preannotate"' in html
    assert "Live quality on new frames" in html
    assert "none saved from a draft yet" in html
    r = page.post(f"{url}preannotate/", follow=True)
    html = unescape(r.content.decode())
    assert "is queued to pre-annotate the project's unannotated frames" in html
    job = BackgroundJob.objects.get(kind="preannotation")
    assert job.params["scope"] == "project"
    assert "Queued: waiting for a worker." in html
    again = page.post(f"{url}preannotate/", follow=True).content.decode()
    assert "already pre-annotating these frames" in again  # a sentence, not a 409 page
    annotator = roles_world.page_client("annotator")
    assert 'data-testid="preannotate"' not in annotator.get(url).content.decode()
    assert annotator.post(f"{url}preannotate/").status_code == 403


def test_data_managers_preannotate_one_patient_from_its_page(
    roles_world: RolesWorld, model: ModelVersion
) -> None:
    from datasets.models import BackgroundJob

    page = roles_world.page_client("data_manager")
    patient_url = f"/projects/alpha/patients/{roles_world.patient.code}/"
    assert "No model is active in this project yet" in page.get(patient_url).content.decode()
    ModelVersion.objects.filter(pk=model.pk).update(is_active=True)
    assert 'data-testid="preannotate-patient-button"' in page.get(patient_url).content.decode()
    body = {"patient": roles_world.patient.pk, "next": patient_url}
    r = page.post(f"/projects/alpha/models/{model.pk}/preannotate/", body, follow=True)
    assert r.redirect_chain[-1][0] == patient_url
    html = unescape(r.content.decode())
    assert "queued to pre-annotate this patient's unannotated frames" in html
    assert 'data-testid="preannotation-job"' in html
    job = BackgroundJob.objects.get(kind="preannotation")
    assert (job.params["scope"], job.params["id"]) == ("patient", roles_world.patient.pk)
    # an address elsewhere is not followed
    r = page.post(
        f"/projects/alpha/models/{model.pk}/preannotate/",
        {"patient": "", "next": "https://evil.example/"},
    )
    assert r["Location"] == f"/projects/alpha/models/{model.pk}/"
