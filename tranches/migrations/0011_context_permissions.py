"""Give the Editors and Reviewers groups the four new kinds of record (milestone, condition,
estimate, open question), as 0002 gave them the first six: editors view, add, change and delete;
reviewers also publish."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MODELS = ["milestone", "condition", "estimate", "openquestion"]
EDITOR_ACTIONS = ["view", "add", "change", "delete"]


def _codenames() -> dict[str, list[str]]:
    editor = [f"{action}_{model}" for model in MODELS for action in EDITOR_ACTIONS]
    return {"Editors": editor, "Reviewers": editor + [f"publish_{model}" for model in MODELS]}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in _codenames().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="tranches", codename__in=codenames))


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in _codenames().items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="tranches", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("tranches", "0010_record_context")]

    operations = [migrations.RunPython(grant, revoke)]
