"""Every write of appointments lives here (the API and the pages call these, and nothing else writes)."""
