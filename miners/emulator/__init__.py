"""A local HTTP server emulating the Reddit OAuth API and the YouTube Data API v3."""
