"""Downloads of a whole release in open standards (docs/DOWNLOADS.md): a Frictionless data package
(``datapackage``) and an IATI 2.03 activity file (``iati``), answered through public.answers."""
