"""learnet: a deep-learning library written from scratch on NumPy."""
__version__ = "0.1.0"
