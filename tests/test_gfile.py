"""tf.io.gfile on local files, with TensorFlow's errors for what is missing or already there."""

import os

import pytest

import learnet as tf


def test_files_written_read_listed_and_found(tmp_path):
    folder = str(tmp_path / "a" / "b")
    tf.io.gfile.makedirs(folder)
    tf.io.gfile.makedirs(folder)  # an existing directory is fine
    path = tf.io.gfile.join(folder, "notes.txt")
    with tf.io.gfile.GFile(path, "w") as stream:
        stream.write("one\ntwo\n")
    with tf.io.gfile.GFile(path, "a") as stream:
        stream.write(b"three\n")
    with tf.io.gfile.GFile(path) as stream:
        assert stream.readline() == "one\n" and list(stream) == ["two\n", "three\n"]
    with tf.io.gfile.GFile(path, "rb") as stream:
        assert stream.read() == b"one\ntwo\nthree\n" and stream.size() == 14
    assert tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path) and tf.io.gfile.isdir(folder)
    assert tf.io.gfile.listdir(folder) == ["notes.txt"]
    assert tf.io.gfile.glob(os.path.join(folder, "*.txt")) == [path]
    assert tf.io.gfile.stat(path).length == 14 and not tf.io.gfile.stat(path).is_directory
    walked = list(tf.io.gfile.walk(str(tmp_path)))
    assert walked[0][1] == ["a"] and walked[-1][2] == ["notes.txt"]


def test_copy_rename_remove_rmtree(tmp_path):
    source = str(tmp_path / "x.bin")
    with tf.io.gfile.GFile(source, "wb") as stream:
        stream.write(b"\x00\x01")
    target = str(tmp_path / "y.bin")
    tf.io.gfile.copy(source, target)
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.io.gfile.copy(source, target)
    tf.io.gfile.copy(source, target, overwrite=True)
    tf.io.gfile.rename(target, str(tmp_path / "z.bin"))
    assert sorted(tf.io.gfile.listdir(str(tmp_path))) == ["x.bin", "z.bin"]
    tf.io.gfile.remove(source)
    assert not tf.io.gfile.exists(source)
    tf.io.gfile.mkdir(str(tmp_path / "d"))
    tf.io.gfile.rmtree(str(tmp_path / "d"))
    assert not tf.io.gfile.exists(str(tmp_path / "d"))


def test_what_is_missing_raises_not_found_and_urls_are_refused(tmp_path):
    missing = str(tmp_path / "nothing")
    for call in (
        lambda: tf.io.gfile.GFile(missing),
        lambda: tf.io.gfile.listdir(missing),
        lambda: tf.io.gfile.remove(missing),
        lambda: tf.io.gfile.rmtree(missing),
        lambda: tf.io.gfile.stat(missing),
        lambda: tf.io.gfile.copy(missing, str(tmp_path / "x")),
        lambda: tf.io.gfile.mkdir(str(tmp_path / "no" / "parent")),
    ):
        with pytest.raises(tf.errors.NotFoundError):
            call()
    assert not tf.io.gfile.exists(missing) and tf.io.gfile.glob(missing + "*") == []
    with pytest.raises(tf.errors.UnimplementedError, match="local"):
        tf.io.gfile.exists("gs://bucket/file")
    with pytest.raises(tf.errors.InvalidArgumentError, match="mode"):
        tf.io.gfile.GFile(str(tmp_path / "x"), "q")
