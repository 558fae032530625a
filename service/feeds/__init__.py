"""Partner feeds (scope feeds:read): the price snapshot, the change log, and a LiteLLM-format export."""
