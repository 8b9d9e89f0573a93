"""The directory's pages: ``search`` (the search page and the pickers' fragment)
and ``console`` (the admins' console pages)."""
