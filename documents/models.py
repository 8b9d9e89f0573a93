"""Models of this app arrive with their issue; the app is installed so migrations and URLs are stable."""
