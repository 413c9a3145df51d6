"""``Embedding.supports_masking`` as Keras 3 reports it (TensorFlow's RNN text tutorial prints it)."""

import numpy as np

from learnet import layers


def test_embedding_supports_masking_follows_mask_zero():
    assert layers.Embedding(10, 4, mask_zero=True).supports_masking
    assert not layers.Embedding(10, 4).supports_masking
    masked = layers.Embedding(10, 4, mask_zero=True)
    assert masked.compute_mask(np.array([[0, 3]])).numpy().tolist() == [[False, True]]
