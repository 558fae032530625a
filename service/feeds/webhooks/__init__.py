"""Webhooks: partners' subscriptions to the change log, and the deliverers that push each change to them."""
