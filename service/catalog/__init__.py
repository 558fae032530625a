"""The pricing catalog: providers, models, effective-dated prices and promotions."""
