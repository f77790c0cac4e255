"""What is published today becomes Release 1; drafts stay drafts; nothing is lost.

For each kind of record, the latest published history row of each record (how the public figures
were read before releases) is copied into the published state as entering Release 1. The list of
purposes starts from the purposes tranches use (case variants become one, the most used spelling).
Reviewers get the permission to publish releases."""

from collections import Counter

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Exists, OuterRef

NOTE = (
    "Everything published before releases existed, as it was published then "
    "(records were published one by one until this release)."
)
MODELS = {
    "instrument": ("name", "short_name", "slug", "legal_basis", "legal_basis_url", "amount", "currency",
                   "period_start", "period_end", "lender", "borrower", "description"),
    "component": ("instrument_id", "name", "slug", "amount", "description"),
    "tranche": ("component_id", "name", "slug", "purpose", "amount", "stage", "planned_on", "approved_on",
                "disbursed_on", "withheld_on", "cancelled_on", "budget_year", "notes"),
    "disbursement": ("tranche_id", "value_date", "amount_eur", "reported_amount", "reported_currency", "notes"),
    "source": ("publisher", "title", "published_on", "url", "grade", "notes"),
    "citation": ("source_id", "instrument_id", "component_id", "tranche_id", "disbursement_id", "figure", "quote",
                 "claimed_amount", "claimed_currency", "is_used", "locator"),
}  # fmt: skip


def release_one(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Release = apps.get_model("tranches", "Release")
    latest = {}
    for name in MODELS:
        history = apps.get_model("tranches", f"Historical{name}")
        newer = history.objects.filter(id=OuterRef("id"), status="published", history_id__gt=OuterRef("history_id"))
        latest[name] = history.objects.filter(status="published").filter(~Exists(newer)).order_by("id")
    when = [row.history_date for rows in latest.values() for row in rows.only("history_date")]
    if not when:
        return
    release = Release.objects.create(number=1, published_at=max(when), note=NOTE)
    for name, fields in MODELS.items():
        published = apps.get_model("tranches", f"Published{name}")
        rows = [published(id=row.id, entered=release, **{f: getattr(row, f) for f in fields}) for row in latest[name]]
        published.objects.bulk_create(rows, batch_size=2000)


def purposes(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Tranche = apps.get_model("tranches", "Tranche")
    Purpose = apps.get_model("tranches", "Purpose")
    spellings: dict[str, Counter[str]] = {}
    for purpose in Tranche.objects.values_list("purpose", flat=True):
        name = " ".join(purpose.split())
        spellings.setdefault(name.casefold(), Counter())[name] += 1
    Purpose.objects.bulk_create([Purpose(name=counts.most_common(1)[0][0]) for counts in spellings.values()])


def reviewers_publish_releases(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = ["publish_release", "view_release", *(f"{a}_purpose" for a in ("view", "add", "change"))]
    permissions = Permission.objects.filter(content_type__app_label="tranches", codename__in=codenames)
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    reviewers.permissions.add(*permissions)
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*permissions.filter(codename__in=["view_release", "view_purpose"]))


class Migration(migrations.Migration):
    dependencies = [
        ("tranches", "0005_releases"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(release_one, migrations.RunPython.noop),
        migrations.RunPython(purposes, migrations.RunPython.noop),
        migrations.RunPython(reviewers_publish_releases, migrations.RunPython.noop),
    ]
