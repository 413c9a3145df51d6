"""``learnet.preprocessing``: the older Keras image, text and sequence helpers (``keras.preprocessing``).

Keras 3 also keeps the dataset builders here, under the same names as in ``keras.utils``
(keras.io's examples call ``keras.preprocessing.image_dataset_from_directory``).

>>> from learnet.preprocessing.image import ImageDataGenerator
>>> from learnet.preprocessing.text import Tokenizer
>>> from learnet.preprocessing.sequence import pad_sequences
>>> import learnet as keras
>>> keras.preprocessing.image_dataset_from_directory is keras.utils.image_dataset_from_directory
True
"""

from learnet.dataset_utils import text_dataset_from_directory, timeseries_dataset_from_array
from learnet.utils import image_dataset_from_directory

from . import image, sequence, text

__all__ = [
    "image",
    "sequence",
    "text",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
