"""The transactional outbox: every outgoing message is a row written with the change that causes it."""
