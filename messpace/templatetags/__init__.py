"""Template libraries of the core, registered in ``TEMPLATES[...]["OPTIONS"]["libraries"]``.

``messpace`` itself is not an installed app, so Django does not discover them.
"""
