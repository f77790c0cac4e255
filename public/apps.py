from django.apps import AppConfig


class PublicConfig(AppConfig):
    """What the public reads: the API, the Atom feed, the pages, embeds and exports. It depends on
    tranches (published records, releases) and reports (figures), never the reverse."""

    name = "public"
    verbose_name = "Public side"
