"""The `pricing-api` command line, the CI budget gate included."""
