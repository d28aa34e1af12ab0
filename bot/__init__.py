"""Sơn La public-services assistant: our package (NLU components, catalogue, channels, CLI)."""
