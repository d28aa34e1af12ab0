"""Security helpers: suspicious-link classification and secret detection/masking (no network)."""
