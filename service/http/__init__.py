"""The HTTP edge: the app factory, auth and limits, CORS, request ids, idempotency, problem responses, observability."""
