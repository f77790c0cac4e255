from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Figures and charts"

    def ready(self) -> None:
        from tranches.signals import data_changed

        from .receivers import data_changed_refresh

        data_changed.connect(data_changed_refresh, dispatch_uid="reports.data_changed_refresh")
