"""Demo data of `make run`, seeded by each domain in turn."""
