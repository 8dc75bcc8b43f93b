"""Every write on merchants, stores, staff, roles, tokens and the audit log."""
