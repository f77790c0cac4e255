"""URLs of the downloads, under /downloads/ (docs/DOWNLOADS.md). ``releases/N/…`` never change."""

from django.urls import path

from . import views

app_name = "downloads"

urlpatterns = [
    path("releases/<int:number>/datapackage.zip", views.release_datapackage, name="release-datapackage"),
    path("releases/<int:number>/iati.xml", views.release_iati, name="release-iati"),
    path("latest.zip", views.latest_datapackage, name="latest-datapackage"),
    path("latest-iati.xml", views.latest_iati, name="latest-iati"),
]
