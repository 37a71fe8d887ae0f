"""digests package."""
