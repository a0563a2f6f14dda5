"""The version of retrogait (one place; ``retrogait.__version__`` reads it)."""

__version__ = "0.1.0"
