"""A database seeded from the first dataset file gets the grown record as drafts for review, and a
reviewer can publish them as one release that passes every check: the way an existing deployment
takes a new version of data/initial_dataset.toml (``load_dataset --drafts``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import FIRST_DATASET
from tranches import services
from tranches.dataset import SECTIONS, dataset_load, dataset_read
from tranches.models import PUBLISHABLE_MODELS, Status

pytestmark = pytest.mark.django_db
FIRST_FILE = FIRST_DATASET
SHIPPED = Path(settings.DATASET_PATH)


def test_an_existing_database_gets_the_new_file_as_drafts_and_one_release_publishes_them(reviewer):
    # Given a database seeded from the first file (Release 1)
    assert dataset_load(path=FIRST_FILE).release == 1
    # When the shipped file is loaded with --drafts
    report = dataset_load(path=SHIPPED, drafts=True)
    # Then its new and changed records are drafts for a reviewer
    drafts = [record for model in PUBLISHABLE_MODELS for record in model.objects.filter(status=Status.DRAFT)]
    assert len(drafts) == sum(report.created.values()) + sum(report.updated.values()) > 0
    # And a reviewer publishes them all as Release 2, which passes every release check
    release = services.release_publish(
        changes=[services.Change.of(record) for record in drafts], user=reviewer, note="The record, sourced"
    )
    assert release.number == 2
    # And every record of the shipped file is public as the file says, and none of the first file's
    # records is left behind (the shipped file keeps every key it still uses)
    shipped = dataset_read(SHIPPED)
    for section, model in SECTIONS.items():
        keys = {row["key"] for row in shipped.get(section, [])}
        public = set(model.objects.filter(status=Status.PUBLISHED).values_list("dataset_key", flat=True))
        assert public == keys, (
            f"{section}: only in the database {sorted(public - keys)}, not public {sorted(keys - public)}"
        )
    assert dataset_load(path=SHIPPED).differences == []
