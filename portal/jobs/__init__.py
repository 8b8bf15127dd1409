"""Background work on Huey: delivery of the outbox and the periodic jobs."""
