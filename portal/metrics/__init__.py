"""Prometheus metrics: request counts and latency by endpoint, SQL queries per request, the outbox queue,
delivery failures and sign-ins, served at /metrics to configured addresses or with a token."""
