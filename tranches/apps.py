from django.apps import AppConfig


class TranchesConfig(AppConfig):
    name = "tranches"
    verbose_name = "Loans and tranches"
