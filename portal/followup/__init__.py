"""Follow-up: months after a meeting marked "continue" or a partnered request, each firm is asked what came of it."""
