"""The operator console: one DSFR space under ``/console/`` for admins and support
agents, each role with its own menu. The core holds the frame (roles, menu,
home); each app registers its pages in its ``AppConfig.ready``."""
