"""Sequence helpers under their older Keras home, ``keras.preprocessing.sequence``."""

from learnet.utils import pad_sequences

__all__ = ["pad_sequences"]
