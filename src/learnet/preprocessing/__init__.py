"""``learnet.preprocessing``: the older Keras text and sequence helpers (``keras.preprocessing``).

>>> from learnet.preprocessing.text import Tokenizer
>>> from learnet.preprocessing.sequence import pad_sequences
"""

from . import sequence, text

__all__ = ["sequence", "text"]
