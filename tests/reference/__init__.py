"""Slow, naive reference implementations that the package is checked against."""
