"""The in-process catalog snapshot that estimates and feeds read, and the keeper that keeps it current."""
