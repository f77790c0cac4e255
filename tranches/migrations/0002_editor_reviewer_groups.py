"""Create the Editors and Reviewers groups with their permissions."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MODELS = ["instrument", "component", "tranche", "disbursement", "source", "citation"]
EDITOR_ACTIONS = ["view", "add", "change", "delete"]


def create_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor_codenames = [f"{action}_{model}" for model in MODELS for action in EDITOR_ACTIONS]
    reviewer_codenames = editor_codenames + [f"publish_{model}" for model in MODELS]
    for name, codenames in (("Editors", editor_codenames), ("Reviewers", reviewer_codenames)):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="tranches", codename__in=codenames)
        group.permissions.set(permissions)


def remove_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Reviewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tranches", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
