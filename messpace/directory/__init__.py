"""The directory of health professionals and structures (practices, pharmacies,
hospital departments, laboratories), fed by the national directory's public
extract (RPPS, "personne activité"), searched by patients and professionals
instead of typing RPPS numbers. A Django app (label ``directory``).
"""
