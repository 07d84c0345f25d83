"""Outgoing webhooks: endpoints, the outbox, signed deliveries and their log."""
