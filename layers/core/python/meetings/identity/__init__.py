"""Who is calling: roles, the principal, passwords, access tokens and the auth dependency (core: no domain)."""
