"""pricing-api: LLM token prices with their whole history, and exact cost estimates."""
