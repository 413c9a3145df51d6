"""``learnet.preprocessing``: the older Keras image, text and sequence helpers (``keras.preprocessing``).

>>> from learnet.preprocessing.image import ImageDataGenerator
>>> from learnet.preprocessing.text import Tokenizer
>>> from learnet.preprocessing.sequence import pad_sequences
"""

from . import image, sequence, text

__all__ = ["image", "sequence", "text"]
