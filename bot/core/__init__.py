"""Chat-agnostic use cases and the neutral message model the chat adapters render."""
