"""Other catalogs' formats (LiteLLM, genai-prices), mapped into ours, and the import itself."""
