"""API keys and the scopes that writes and feeds require."""
