"""LiteLLM's names for per-token prices, shared by the import of its cost map and the export in its shape."""

INPUT = "input_cost_per_token"
OUTPUT = "output_cost_per_token"
CACHE_READ = "cache_read_input_token_cost"
CACHE_WRITE = "cache_creation_input_token_cost"
PRICE_KEYS = (INPUT, OUTPUT, CACHE_READ, CACHE_WRITE)  # in the order of TokenPrices' fields
# The suffix of each variant's keys: input_cost_per_token_batches, output_cost_per_token_priority, ...
VARIANT_SUFFIXES = {"batch": "_batches", "flex": "_flex", "priority": "_priority"}
# The prices beyond the four per-token ones that estimates charge, in service.pricing.prices.MORE_PRICES' order: a
# fee per request (in USD, not per token), audio and image tokens, and one-hour cache writes.
PER_REQUEST = "input_cost_per_request"
MORE_KEYS = (PER_REQUEST, "input_cost_per_audio_token", "output_cost_per_audio_token", "input_cost_per_image_token",
             "output_cost_per_image_token", "cache_creation_input_token_cost_above_1hr")
