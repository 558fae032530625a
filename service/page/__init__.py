"""The cost estimator web page, served by the service at `/` and built only on the public v1 API."""
