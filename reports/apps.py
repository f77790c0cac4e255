from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Figures and charts"

    def ready(self) -> None:
        from tranches.signals import release_published

        from .receivers import release_published_refresh

        release_published.connect(release_published_refresh, dispatch_uid="reports.release_published_refresh")
