"""Editors and reviewers may read the job runs (read-only in the admin), so that a failed job is
seen by the people who publish and check the figures, not only by superusers."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

GROUPS = ["Editors", "Reviewers"]


def view_job_runs(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(content_type__app_label="reports", codename="view_jobrun")
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(view)


def hide_job_runs(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label="reports", codename="view_jobrun").first()
    if view is not None:
        for group in Group.objects.filter(name__in=GROUPS):
            group.permissions.remove(view)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_snapshot_release"),
        ("tranches", "0006_release_one"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(view_job_runs, hide_job_runs)]
