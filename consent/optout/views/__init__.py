"""The opt-out activation's pages: ``notices`` (the public answer to a notice, the
support agent's caller tool) and ``console`` (the admins' console pages)."""
