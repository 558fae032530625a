"""Tests of the pure pricing core: unit tests, the article's figures, and hypothesis properties."""
