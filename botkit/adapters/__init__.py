"""Adapters connect the platform-neutral host to a chat platform."""
