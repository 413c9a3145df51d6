"""tf.io: read_file / write_file, decode_raw, and images decoded from PNG/JPEG bytes."""

import numpy as np
import pytest

import learnet as tf

PIL = pytest.importorskip("PIL.Image")


def test_files_round_trip_as_string_tensors(tmp_path):
    path = str(tmp_path / "note.txt")
    tf.io.write_file(path, tf.constant("hello"))
    content = tf.io.read_file(path)
    assert content.dtype == tf.string and content.numpy() == b"hello"
    assert tf.io.decode_raw(content, tf.uint8).numpy().tolist() == [104, 101, 108, 108, 111]
    assert tf.io.decode_raw(tf.constant(b"\x01\x00\x02\x00"), tf.int16).numpy().tolist() == [1, 2]


def test_png_and_jpeg_images(tmp_path):
    image = (np.arange(6 * 7 * 3).reshape(6, 7, 3) * 5 % 256).astype("uint8")
    path = str(tmp_path / "picture.png")
    tf.io.write_file(path, tf.io.encode_png(image))
    decoded = tf.io.decode_png(tf.io.read_file(path), channels=3)
    assert decoded.dtype == tf.uint8 and np.array_equal(decoded.numpy(), image)
    assert tf.image.decode_image(tf.io.read_file(path), channels=1).shape == (6, 7, 1)
    as_float = tf.io.decode_image(tf.io.read_file(path), channels=3, dtype=tf.float32)
    assert as_float.dtype == tf.float32 and np.allclose(as_float.numpy(), image / 255.0)
    PIL.fromarray(image).save(tmp_path / "picture.jpg", quality=95)
    jpeg = tf.io.decode_jpeg(tf.io.read_file(str(tmp_path / "picture.jpg")), channels=3)
    assert jpeg.shape == (6, 7, 3) and np.abs(jpeg.numpy().astype(int) - image).mean() < 20


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(TypeError, match="scalar string tensor"):
        tf.io.decode_raw(tf.constant([1, 2]), tf.uint8)
    with pytest.raises(ValueError, match="channels"):
        tf.io.decode_image(tf.io.encode_png(np.zeros((2, 2, 3), "uint8")), channels=2)
    with pytest.raises(ValueError, match="uint8 image"):
        tf.io.encode_png(np.zeros((2, 2, 3), "float32"))
    with pytest.raises(FileNotFoundError):
        tf.io.read_file(str(tmp_path / "missing.png"))
