"""Generated plenary.v2 stubs (python/generate.py); do not edit."""
