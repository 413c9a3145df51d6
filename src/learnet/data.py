"""``learnet.data``: the small part of ``tf.data`` that course code uses.

A ``Dataset`` is a re-iterable sequence of elements (a tensor, or a tuple or dict
of tensors). Course code builds one from arrays, shuffles and batches it, and loops
over it in a custom training loop or passes it to ``model.fit``::

    ds = learnet.data.Dataset.from_tensor_slices((x_train, y_train))
    ds = ds.shuffle(10000).batch(32)
    for x_batch, y_batch in ds:
        ...

Elements are computed lazily, one pass at a time; ``shuffle`` draws a new order on
every pass (``reshuffle_each_iteration=True``, as TensorFlow). Slices of arrays are
batched by NumPy indexing, not element by element, so batching is fast.
"""

import enum
import glob
import json
import math
import os
import types
import warnings

import numpy

from learnet import backend, errors
from learnet.batching import Batcher
from learnet.control import TensorSpec
from learnet.csv_datasets import CsvDataset, make_csv_dataset
from learnet.ragged import RaggedTensor, RaggedTensorSpec
from learnet.sparse import SparseTensor, SparseTensorSpec, _SparseRows, _stack_sparse
from learnet.sparse import to_dense as _sparse_to_dense
from learnet.tensor import Tensor, TensorShape
from learnet.tfrecord import TFRecordDataset  # noqa: F401 - tf.data.TFRecordDataset
from learnet.tree import flatten, map_structure

# A dataset's length (``Dataset._length``) is a number of elements, ``None`` when it cannot be
# known without reading (after a ``filter``), or ``_INFINITE`` (``repeat()`` with no count, a
# ``counter``). ``cardinality()`` reports them as TensorFlow does: the number,
# ``UNKNOWN_CARDINALITY`` or ``INFINITE_CARDINALITY``.
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
_INFINITE = math.inf


def _batched_length(length, batch_size, drop_remainder):
    """How many batches of ``batch_size`` a dataset of ``length`` elements gives."""
    if length is None or length == _INFINITE:
        return length
    return length // batch_size if drop_remainder else -(-length // batch_size)


AUTOTUNE = -1


def _lists_as_tensors(structure):
    """TensorFlow reads a list as one tensor (its rows stacked); tuples and dicts stay structures."""
    if isinstance(structure, tuple):
        return tuple(_lists_as_tensors(s) for s in structure)
    if isinstance(structure, dict):
        return {k: _lists_as_tensors(v) for k, v in structure.items()}
    if isinstance(structure, list):
        try:
            stacked = numpy.asarray([numpy.asarray(item) for item in structure])
        except ValueError:
            return structure
        return _python_numbers(stacked, structure)
    return structure


def _python_numbers(array, value):
    """TensorFlow's types for Python numbers: ``float32`` for floats and ``int32`` for ints;
    NumPy integer arrays keep their dtype (an int64 array stays int64).

    float64 NumPy arrays become ``float32`` too, learnet's default float type, where
    TensorFlow keeps them float64.
    """
    if array.dtype == numpy.float64:
        return array.astype(backend.floatx())
    if array.dtype == numpy.int64 and not _holds_numpy(value) and array.size and numpy.abs(array).max() < 2**31:
        return array.astype(numpy.int32)
    return array


def _holds_numpy(value):
    # An array of any kind: NumPy's own, or what NumPy reads through __array__ (a pandas column).
    if isinstance(value, (numpy.ndarray, numpy.generic)) or hasattr(value, "__array__"):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_numpy(item) for item in value)
    return False


def _as_array(value):
    # A window's dataset, a parsed VarLenFeature, rows of different lengths: kept as they are.
    if isinstance(value, (Dataset, SparseTensor, RaggedTensor)):
        return value
    if isinstance(value, Tensor):
        return value.numpy()
    return _python_numbers(numpy.asarray(value), value)


def _index(array, index):
    return array[index]


def _ragged_row(array, index):
    """Element ``index`` of a sliced array; a ragged tensor's row as an array, marked as a ragged row."""
    if isinstance(array, RaggedTensor):
        return _RaggedRow.of(array[int(index)].numpy())
    return array[index]


class _RaggedRow(numpy.ndarray):
    """One row of a ``RaggedTensor`` in a pipeline: an array whose length varies from element to element.

    TensorFlow describes it with a ``RaggedTensorSpec`` of ``ragged_rank`` 0 and hands it to the
    user as a dense tensor; ``batch`` puts such rows back together as a ``RaggedTensor``. The
    mark is all that differs from a plain array (``numpy.asarray`` drops it), and a ``map``
    drops it too, as TensorFlow's function returns dense tensors.
    """

    @staticmethod
    def of(array):
        return numpy.asarray(array).view(_RaggedRow)


def _ragged_rows(rt):
    """The rows of a ``RaggedTensor`` as ``_RaggedRow`` arrays (views of its values), in an object array."""
    values = rt.flat_values.numpy()
    splits = rt.row_splits.numpy()
    rows = numpy.empty(rt.nrows_int(), dtype=object)
    for i, (start, stop) in enumerate(zip(splits[:-1].tolist(), splits[1:].tolist())):
        rows[i] = values[start:stop].view(_RaggedRow)
    return rows


def _ragged_from_rows(rows):
    """A ``RaggedTensor`` of the arrays ``rows`` (``batch`` of ragged rows)."""
    arrays = [numpy.asarray(row) for row in rows]
    inner = {a.shape[1:] for a in arrays}
    if any(a.ndim == 0 for a in arrays) or len(inner) > 1:
        raise ValueError(
            "batch: ragged rows may differ in their first dimension only, got shapes "
            f"{sorted({a.shape for a in arrays})}"
        )
    values = numpy.concatenate(arrays)
    values = Tensor(values) if values.dtype.kind in "USO" else Tensor._wrap(values)
    return RaggedTensor.from_row_lengths(values, [len(a) for a in arrays])


def _to_tensors(structure):
    # A NumPy scalar keeps its dtype (an int64 element stays int64, as its element_spec says);
    # text goes through Tensor() to become a string tensor of bytes.
    def to_tensor(a):
        if isinstance(a, (Dataset, SparseTensor, RaggedTensor)):
            return a
        if isinstance(a, (numpy.ndarray, numpy.generic)) and a.dtype.kind not in "USO":
            return Tensor._wrap(numpy.asarray(a))
        return Tensor(a)

    return map_structure(to_tensor, structure)


# The OwnedIterator whose next element is being computed: the random transformations of its
# pipeline take their generators through it, so that a restored iterator draws the same numbers.
_reader = None


def _pass_generator(fixed=None):
    """The random generator one pass of a random transformation draws from.

    ``fixed`` is the transformation's own generator (it was given a seed). Without one, a new
    generator seeded from the reading iterator's own random source (learnet's host generator
    when no iterator reads), so that nothing else drawing random numbers between two
    elements changes the pass. A ``fixed`` generator's state is recorded in the reading
    iterator at every pass, and put back when a restored iterator replays its passes.
    """
    reader = _reader
    if fixed is None:
        parent = reader._source if reader is not None else backend.host_rng()
        return numpy.random.default_rng(parent.integers(2**63))
    if reader is not None:
        if reader._replayed < len(reader._draws):
            fixed.bit_generator.state = reader._draws[reader._replayed]
        else:
            reader._draws.append(fixed.bit_generator.state)
        reader._replayed += 1
    return fixed


class Dataset:
    """A re-iterable pipeline of elements; build one with ``from_tensor_slices``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.data import Dataset
    >>> ds = Dataset.from_tensor_slices((np.arange(5.0), np.arange(5))).batch(2)
    >>> [y.numpy().tolist() for _, y in ds]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, make_iterator, length=None, spec=None):
        # make_iterator() starts a new pass and yields elements as NumPy structures.
        # spec() gives the element_spec a transformation knows without running the pipeline
        # (None: it is read from the first element).
        self._make_iterator = make_iterator
        self._length = length
        self._spec = spec

    # --- sources ----------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors):
        """One element per index of the first axis of ``tensors`` (an array or a tuple/dict of them).

        A Python list is one tensor, as in TensorFlow (``from_tensor_slices([1, 2, 3])``
        gives three numbers); tuples and dicts are structures of several tensors. A
        ``RaggedTensor`` is sliced into its rows, and ``batch`` puts rows back together as a
        ``RaggedTensor``, as TensorFlow does.

        Examples
        --------
        >>> import learnet as tf
        >>> rows = tf.ragged.constant([[1, 2, 3], [4], [5, 6]])
        >>> [row.numpy().tolist() for row in tf.data.Dataset.from_tensor_slices(rows)]
        [[1, 2, 3], [4], [5, 6]]
        >>> [batch.to_list() for batch in tf.data.Dataset.from_tensor_slices(rows).batch(2)]
        [[[1, 2, 3], [4]], [[5, 6]]]
        """
        arrays = map_structure(_as_array, _lists_as_tensors(tensors))
        # A SparseTensor is cut into rows as an array is: each element is its row i, a SparseTensor.
        arrays = map_structure(lambda a: _SparseRows(a) if isinstance(a, SparseTensor) else a, arrays)
        leaves = flatten(arrays)
        if not leaves:
            raise ValueError("from_tensor_slices needs at least one array")
        lengths = {leaf.shape[0] if len(leaf.shape) else None for leaf in leaves}
        if None in lengths:
            raise ValueError("from_tensor_slices: every array needs a first axis to slice along")
        if len(lengths) > 1:
            raise ValueError(f"from_tensor_slices: arrays have different first dimensions {sorted(lengths)}")
        length = lengths.pop()
        take = _ragged_row if any(isinstance(leaf, RaggedTensor) for leaf in leaves) else _index
        dataset = Dataset(
            lambda: (map_structure(lambda a: take(a, i), arrays) for i in range(length)),
            length,
            lambda: map_structure(_sliced_spec, arrays),
        )
        dataset._arrays = arrays  # lets shuffle/batch index the arrays directly (fast path)
        return dataset

    @staticmethod
    def from_tensors(tensors):
        """A dataset of exactly one element: ``tensors``."""
        arrays = map_structure(_as_array, _lists_as_tensors(tensors))
        return Dataset(lambda: iter([arrays]), 1, lambda: map_structure(_value_spec, arrays))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None):
        """The elements a generator yields; ``generator`` is called again for every pass.

        With ``output_signature`` (or ``output_types`` and ``output_shapes``) each element is
        read as that structure says, as TensorFlow does: a nested tuple of text where one
        string tensor is declared becomes that tensor, values take the declared dtype, and
        an element of another structure, shape or kind is refused with a clear error.
        Without them, learnet takes the elements as they come.
        """
        if not callable(generator):
            raise TypeError(
                f"from_generator expects a function that returns a generator, got {type(generator).__name__}"
            )
        arguments = tuple(args) if args is not None else ()

        def spec():
            if output_signature is not None:
                return output_signature
            if output_types is not None:
                return _zip_specs(output_types, output_shapes)
            return None

        known = output_signature is not None or output_types is not None
        if not known:
            return Dataset(lambda: (map_structure(_as_array, e) for e in generator(*arguments)), None, None)
        declared = spec()
        return Dataset(lambda: (_conform(e, declared) for e in generator(*arguments)), None, spec)

    @staticmethod
    def zip(*datasets, name=None):
        """Pair up the elements of several datasets, in the structure they are given in.

        ``Dataset.zip((images, labels))``, ``Dataset.zip(images, labels)``, and nested
        structures: ``Dataset.zip((images, (seeds, seeds)))`` gives ``(image, (seed, seed))``
        elements and ``Dataset.zip({"x": a, "y": b})`` dicts, as in TensorFlow.

        Examples
        --------
        >>> import learnet as tf
        >>> a, b = tf.data.Dataset.range(2), tf.data.Dataset.range(10, 12)
        >>> [(int(x), (int(y), int(z))) for x, (y, z) in tf.data.Dataset.zip((a, (b, b)))]
        [(0, (10, 10)), (1, (11, 11))]
        """
        structure = datasets[0] if len(datasets) == 1 else datasets
        if isinstance(structure, list):
            structure = tuple(structure)
        leaves = flatten(structure) if isinstance(structure, (tuple, dict)) else [structure]
        if not leaves or not all(isinstance(d, Dataset) for d in leaves):
            wrong = next((type(d).__name__ for d in leaves if not isinstance(d, Dataset)), "nothing")
            raise TypeError(
                f"Dataset.zip expects (nested) structures of datasets, e.g. Dataset.zip((images, labels)); got {wrong}"
            )
        lengths = [d._length for d in leaves]
        length = None if None in lengths else min(lengths)  # _INFINITE only if every one is

        def pack(values):
            iterator = iter(values)
            return map_structure(lambda _: next(iterator), structure)

        return Dataset(
            lambda: (pack(values) for values in zip(*(d._make_iterator() for d in leaves))),
            length,
            lambda: map_structure(lambda d: d.element_spec, structure),
        )

    @staticmethod
    def range(*args):
        """Like Python's ``range``, as a dataset of int64 scalars."""
        values = numpy.arange(*args, dtype=numpy.int64)
        return Dataset.from_tensor_slices(values)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """The files matching ``file_pattern`` (a glob, or a list of globs), as string tensors.

        As in TensorFlow the names are shuffled unless ``shuffle=False`` (then sorted), and a
        pattern that matches nothing is an error.

        Examples
        --------
        >>> import learnet as tf, tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> for part in ("b", "a"):
        ...     _ = open(os.path.join(folder, f"part_{part}.csv"), "w").write("x\\n")
        >>> [os.path.basename(f.numpy()) for f in tf.data.Dataset.list_files(folder + "/*.csv", shuffle=False)]
        [b'part_a.csv', b'part_b.csv']
        """
        if isinstance(file_pattern, Tensor):
            file_pattern = numpy.asarray(file_pattern.numpy()).tolist()
        patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) else list(file_pattern)
        names = sorted({os.fsencode(match) for p in patterns for match in glob.glob(os.fsdecode(p))})
        if not names:
            raise errors.InvalidArgumentError(
                None, None, f"list_files: no files match {[os.fsdecode(p) for p in patterns]}"
            )
        files = numpy.array(names, dtype=object)
        dataset = Dataset.from_tensor_slices(files)
        return dataset.shuffle(len(names), seed=seed) if shuffle is None or shuffle else dataset

    @staticmethod
    def sample_from_datasets(
        datasets, weights=None, seed=None, stop_on_empty_dataset=False, rerandomize_each_iteration=None
    ):
        """Elements drawn at random from several datasets, each with probability ``weights[i]``.

        When a dataset runs out it is dropped and the others go on (or everything stops,
        with ``stop_on_empty_dataset=True``).
        """
        datasets = _dataset_list(datasets, "sample_from_datasets")
        chances = numpy.full(len(datasets), 1.0 / len(datasets)) if weights is None else _array_of(weights)
        if chances.shape != (len(datasets),) or (chances < 0).any() or chances.sum() <= 0:
            raise ValueError(
                f"sample_from_datasets: weights must be {len(datasets)} non-negative numbers, got {weights!r}"
            )

        def make():
            rng = numpy.random.default_rng(seed) if seed is not None else _pass_generator()
            iterators = [d._make_iterator() for d in datasets]
            live = chances.astype(numpy.float64).copy()
            while live.sum() > 0:
                index = rng.choice(len(iterators), p=live / live.sum())
                try:
                    yield next(iterators[index])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return
                    live[index] = 0.0

        # As TensorFlow: endless while one of the datasets is (it is never dropped), else unknown.
        length = _INFINITE if any(d._length == _INFINITE for d in datasets) else None
        return Dataset(make, length, lambda: datasets[0].element_spec)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        """Element ``k`` comes from ``datasets[choice_dataset[k]]`` (a dataset of int64 scalars)."""
        datasets = _dataset_list(datasets, "choose_from_datasets")
        if not isinstance(choice_dataset, Dataset):
            raise TypeError(
                f"choose_from_datasets: choice_dataset must be a Dataset, got {type(choice_dataset).__name__}"
            )

        def make():
            iterators = [d._make_iterator() for d in datasets]
            for choice in choice_dataset._make_iterator():
                index = int(choice)
                if not 0 <= index < len(iterators):
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"choose_from_datasets: choice {index} is out of range for {len(iterators)} datasets",
                    )
                try:
                    yield next(iterators[index])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return

        return Dataset(make, None, lambda: datasets[0].element_spec)

    @staticmethod
    def counter(start=0, step=1, dtype="int64", name=None):
        """``start, start + step, ...`` without end."""
        kind = numpy.dtype(dtype)

        def make():
            value = start
            while True:
                yield numpy.asarray(value, kind)
                value += step

        return Dataset(make, _INFINITE, lambda: TensorSpec((), kind))

    @staticmethod
    def random(seed=None, rerandomize_each_iteration=None, name=None):
        """Random int64 numbers without end (the same stream for the same ``seed``)."""

        def make():
            rng = numpy.random.default_rng(seed) if seed is not None else _pass_generator()
            while True:
                yield numpy.int64(rng.integers(0, 2**63 - 1))

        return Dataset(make, _INFINITE, lambda: TensorSpec((), "int64"))

    # --- transformations -------------------------------------------------------------------
    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Shuffle elements: a new order each pass (a full shuffle when the buffer covers the data)."""
        if int(buffer_size) < 1:
            raise ValueError(f"shuffle: buffer_size must be at least 1, got {buffer_size}")
        buffer_size = int(buffer_size)
        fixed = numpy.random.default_rng(seed) if seed is not None else None
        first_order = []

        def generator():
            return _pass_generator(fixed)

        arrays = getattr(self, "_arrays", None)
        if arrays is not None and self._length is not None and buffer_size >= self._length:
            length = self._length
            take = _ragged_row if any(isinstance(leaf, RaggedTensor) for leaf in flatten(arrays)) else _index

            def order():
                rng = generator()  # asked for on every pass, so that a replayed pass asks as often
                if reshuffle_each_iteration or not first_order:
                    first_order[:] = [rng.permutation(length)]
                return first_order[0]

            dataset = Dataset(
                lambda: (map_structure(lambda a: take(a, i), arrays) for i in order()), length, self._known_spec
            )
            dataset._arrays = arrays
            dataset._order = order
            return dataset

        source = self

        def make_buffered():
            rng = generator()
            buffer = []
            for element in source._make_iterator():
                if len(buffer) < buffer_size:
                    buffer.append(element)
                    continue
                index = rng.integers(len(buffer))
                yield buffer[index]
                buffer[index] = element
            order = rng.permutation(len(buffer))
            for index in order:
                yield buffer[index]

        return Dataset(make_buffered, self._length, self._known_spec)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Group consecutive elements into batches (stacked along a new first axis)."""
        if isinstance(batch_size, bool) or int(batch_size) < 1:
            raise ValueError(f"batch: batch_size must be a positive integer, got {batch_size!r}")
        batch_size = int(batch_size)
        length = _batched_length(self._length, batch_size, drop_remainder)
        batched_spec = self._batched_spec(batch_size if drop_remainder else None)
        arrays = getattr(self, "_arrays", None)
        if arrays is not None and self._length is not None:
            # Fast path: the shared Batcher indexes the arrays with whole batches of positions
            # (copies, so changing a batch never changes the dataset).
            total = self._length
            batcher = Batcher(
                arrays,
                batch_size=batch_size,
                shuffle=False,
                drop_last=drop_remainder,
                order=getattr(self, "_order", None) or (lambda: numpy.arange(total)),
            )
            return Dataset(lambda: iter(batcher), length, batched_spec)

        source = self

        def make():
            batch = []
            for element in source._make_iterator():
                batch.append(element)
                if len(batch) == batch_size:
                    yield _stack(batch)
                    batch = []
            if batch and not drop_remainder:
                yield _stack(batch)

        return Dataset(make, length, batched_spec)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """Cut the batches into batches of ``batch_size`` rows, as if unbatched and batched again.

        ``batch_size`` may be a list of sizes, used in turn (TensorFlow's round robin). With
        ``drop_remainder=True`` a last batch with fewer rows is left out.

        Examples
        --------
        >>> import learnet as tf
        >>> ds = tf.data.Dataset.range(10).batch(4).rebatch(3)
        >>> [b.numpy().tolist() for b in ds]
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
        """
        raw = batch_size.numpy() if isinstance(batch_size, Tensor) else batch_size
        sizes = numpy.atleast_1d(numpy.asarray(raw))
        if (
            sizes.ndim != 1
            or sizes.size == 0
            or sizes.dtype.kind not in "iu"
            or isinstance(raw, bool)
            or (sizes < 1).any()
        ):
            raise ValueError(f"rebatch: batch_size must be a positive integer or a list of them, got {batch_size!r}")
        sizes = [int(size) for size in sizes]
        source = self

        def spec():
            leaves = flatten(source.element_spec)
            if any(leaf.shape is not None and len(leaf.shape) == 0 for leaf in leaves):
                raise ValueError(
                    "rebatch: the dataset's elements are scalars; rebatch cuts batches, so batch the dataset first"
                )
            known = sizes[0] if drop_remainder and len(sizes) == 1 else None
            return map_structure(
                lambda leaf: _respec(leaf, None if leaf.shape is None else (known, *leaf.shape[1:])),
                source.element_spec,
            )

        def make():
            spec()  # scalar elements are refused before the first one is read
            pending, rows, turn = [], 0, 0
            for element in source._make_iterator():
                pending.append(element)
                rows += _rows_of(element)
                while rows >= sizes[turn % len(sizes)]:
                    size = sizes[turn % len(sizes)]
                    joined = _concatenate(pending)
                    yield map_structure(lambda a: a[:size], joined)
                    pending, rows, turn = [map_structure(lambda a: a[size:], joined)], rows - size, turn + 1
            if rows and not drop_remainder:
                yield _concatenate(pending)

        return Dataset(make, None, spec)

    def ragged_batch(self, batch_size, drop_remainder=False, row_splits_dtype="int64", name=None):
        """Batch elements of different lengths: each batch of them is a ``RaggedTensor``
        (scalars are stacked as ``batch`` does).

        Examples
        --------
        >>> import learnet as tf
        >>> ds = tf.data.Dataset.range(1, 5).map(lambda x: tf.range(x))
        >>> [b.to_list() for b in ds.ragged_batch(2)]
        [[[0], [0, 1]], [[0, 1, 2], [0, 1, 2, 3]]]
        """
        batch_size = _positive(batch_size, "ragged_batch", "batch_size")
        source = self

        def as_ragged(elements):
            arrays = [numpy.asarray(e) for e in elements]
            if arrays[0].ndim == 0:
                return numpy.stack(arrays)
            if any(a.ndim != arrays[0].ndim or a.shape[1:] != arrays[0].shape[1:] for a in arrays):
                raise ValueError(
                    "ragged_batch: the elements may differ in their first dimension only, got shapes "
                    f"{sorted({a.shape for a in arrays})}"
                )
            return RaggedTensor.from_row_lengths(Tensor._wrap(numpy.concatenate(arrays)), [len(a) for a in arrays])

        def group(elements):
            first = elements[0]
            if isinstance(first, (tuple, list)):
                return type(first)(group([e[i] for e in elements]) for i in range(len(first)))
            if isinstance(first, dict):
                return {k: group([e[k] for e in elements]) for k in first}
            return as_ragged(elements)

        def make():
            batch = []
            for element in source._make_iterator():
                batch.append(element)
                if len(batch) == batch_size:
                    yield group(batch)
                    batch = []
            if batch and not drop_remainder:
                yield group(batch)

        def spec():
            known = batch_size if drop_remainder else None
            return map_structure(
                lambda leaf: TensorSpec(
                    None if leaf.shape is None else (known, *((None, *leaf.shape[1:]) if len(leaf.shape) else ())),
                    leaf.dtype,
                ),
                source.element_spec,
            )

        length = _batched_length(self._length, batch_size, drop_remainder)
        return Dataset(make, length, spec)

    def sparse_batch(self, batch_size, row_shape, name=None):
        """Batch elements of different shapes into ``SparseTensor`` s of dense shape
        ``(batch, *row_shape)``: each element's values sit at their own positions.

        Examples
        --------
        >>> import learnet as tf
        >>> ds = tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x], x)).sparse_batch(2, [5])
        >>> [tf.sparse.to_dense(b).numpy().tolist() for b in ds]
        [[[1, 0, 0, 0, 0], [2, 2, 0, 0, 0]], [[3, 3, 3, 0, 0]]]
        """
        batch_size = _positive(batch_size, "sparse_batch", "batch_size")
        raw = row_shape.numpy() if isinstance(row_shape, Tensor) else row_shape
        shape = [int(d) for d in numpy.atleast_1d(numpy.asarray(raw))]
        if any(d < 0 for d in shape):
            raise ValueError(f"sparse_batch: row_shape must hold sizes >= 0, got {shape}")
        source = self

        def to_sparse(elements):
            arrays = [numpy.asarray(e) for e in elements]
            indices, values = [], []
            for row, array in enumerate(arrays):
                if array.ndim != len(shape) or any(n > d for n, d in zip(array.shape, shape)):
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"sparse_batch: an element of shape {array.shape} does not fit the row shape {tuple(shape)}",
                    )
                positions = numpy.indices(array.shape).reshape(array.ndim, -1).T
                indices.append(numpy.concatenate([numpy.full((len(positions), 1), row), positions], axis=1))
                values.append(array.reshape(-1))
            return SparseTensor(
                numpy.concatenate(indices).astype(numpy.int64),
                Tensor._wrap(numpy.concatenate(values)),
                [len(arrays), *shape],
            )

        def make():
            batch = []
            for element in source._make_iterator():
                batch.append(element)
                if len(batch) == batch_size:
                    yield to_sparse(batch)
                    batch = []
            if batch:
                yield to_sparse(batch)

        length = _batched_length(self._length, batch_size, False)
        return Dataset(make, length, lambda: TensorSpec((None, *shape), source.element_spec.dtype))

    def rejection_resample(self, class_func, target_dist, initial_dist=None, seed=None, name=None):
        """Resample the elements so that their classes follow ``target_dist``.

        ``class_func(element)`` gives each element's class (an integer); elements are kept
        with a probability that turns the classes' distribution (``initial_dist``, or counted
        as the elements go by) into ``target_dist``. The elements are ``(class, element)``
        pairs, as in TensorFlow (``.map(lambda cls, x: x)`` drops the class).

        Examples
        --------
        >>> import learnet as tf
        >>> labels = tf.data.Dataset.from_tensor_slices([0] * 90 + [1] * 10)
        >>> balanced = labels.repeat().rejection_resample(lambda y: y, [0.5, 0.5], [0.9, 0.1], seed=0).take(400)
        >>> 0.4 < sum(int(c) for c, _ in balanced) / 400 < 0.6
        True
        """
        target = _array_of(target_dist)
        if target.ndim != 1 or (target < 0).any() or not numpy.isclose(target.sum(), 1.0):
            raise ValueError(f"rejection_resample: target_dist must be probabilities summing to 1, got {target_dist!r}")
        initial = None if initial_dist is None else _array_of(initial_dist)
        if initial is not None and (initial.shape != target.shape or (initial < 0).any() or initial.sum() <= 0):
            raise ValueError(
                f"rejection_resample: initial_dist must be {len(target)} non-negative numbers, got {initial_dist!r}"
            )
        source = self

        def make():
            rng = numpy.random.default_rng(seed) if seed is not None else _pass_generator()
            seen = numpy.zeros(len(target))
            for element in source._make_iterator():
                label = int(numpy.asarray(_call(class_func, element)))
                if not 0 <= label < len(target):
                    raise errors.InvalidArgumentError(
                        None, None, f"rejection_resample: class {label} is outside [0, {len(target)})"
                    )
                seen[label] += 1
                current = initial if initial is not None else seen
                current = current / current.sum()
                with numpy.errstate(divide="ignore", invalid="ignore"):
                    ratio = numpy.where(current > 0, target / current, 0.0)
                if rng.random() < ratio[label] / ratio.max():
                    yield numpy.int64(label), element

        return Dataset(make, None, lambda: (TensorSpec((), "int64"), source.element_spec))

    def snapshot(self, path, compression="AUTO", reader_func=None, shard_func=None, name=None):
        """Accepted for compatibility, as ``cache``: learnet reads the elements in memory."""
        return self

    def save(self, path, compression=None, shard_func=None, checkpoint_args=None):
        """Write the elements to the folder ``path``; ``Dataset.load(path)`` reads them back.

        learnet's own format (NumPy ``.npz`` and a JSON description, no pickle), not
        TensorFlow's snapshot files. ``compression="GZIP"`` compresses the arrays.

        Examples
        --------
        >>> import learnet as tf, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> tf.data.Dataset.from_tensor_slices((["a", "b"], [1, 2])).save(folder)
        >>> [(x.numpy(), int(y)) for x, y in tf.data.Dataset.load(folder)]
        [(b'a', 1), (b'b', 2)]
        """
        _save_dataset(self, path, compression)

    @staticmethod
    def load(path, element_spec=None, compression=None, reader_func=None):
        """The dataset ``Dataset.save`` wrote to the folder ``path``, with the ``element_spec`` it had.

        As in TensorFlow, the saved ``element_spec`` comes back: a size that varied between the
        saved elements is ``None`` (``TensorSpec(shape=(None,))`` for sequences of different
        lengths), and ragged rows (``unbatch`` of a ragged batch) keep their ``RaggedTensorSpec``.
        ``element_spec`` given here replaces it. Whole ``RaggedTensor`` elements are not saved yet.

        Examples
        --------
        >>> import learnet as tf, numpy as np, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> tf.data.Dataset.range(1, 4).map(lambda n: tf.fill([n], n)).save(folder)
        >>> tf.data.Dataset.load(folder).element_spec
        TensorSpec(shape=(None,), dtype=tf.int64, name=None)
        """
        return _load_dataset(path, element_spec)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Apply ``map_func`` to every element (a tuple element is passed as separate arguments).

        A list that ``map_func`` returns becomes a tuple, as in TensorFlow (``tf.py_function``
        returns its tensors as a list): the next ``map`` gets them as separate arguments.
        """
        source = self

        def apply(element):
            tensors = _to_tensors(element)
            result = map_func(*tensors) if isinstance(tensors, tuple) else map_func(tensors)
            if isinstance(result, list):  # as TensorFlow: a returned list (py_function's) is a tuple
                result = tuple(result)
            return map_structure(_as_array, result)

        def make():
            for element in source._make_iterator():
                yield apply(element)

        mapped = Dataset(make, self._length)
        mapped._per_element = (source, apply)  # lets ignore_errors skip one element's failure
        mapped._spec = lambda: _mapped_spec(source, mapped)
        return mapped

    def filter(self, predicate):
        """Keep the elements for which ``predicate`` is true."""
        source = self

        def make():
            for element in source._make_iterator():
                tensors = _to_tensors(element)
                keep = predicate(*tensors) if isinstance(tensors, tuple) else predicate(tensors)
                if bool(keep):
                    yield element

        return Dataset(make, None, self._known_spec)

    def take(self, count):
        """The first ``count`` elements (all of them if ``count`` is -1)."""
        count = int(count)
        source = self

        def make():
            if count == 0:
                return
            for i, element in enumerate(source._make_iterator()):
                yield element
                if 0 <= count <= i + 1:
                    return  # before reading one element too many (it may fail, or wait)

        length = self._length if count < 0 or self._length is None else min(count, self._length)
        return Dataset(make, length, self._known_spec)

    def skip(self, count):
        """All but the first ``count`` elements."""
        count = int(count)
        source = self

        def make():
            for i, element in enumerate(source._make_iterator()):
                if i >= count:
                    yield element

        if self._length is None or self._length == _INFINITE:
            length = self._length
        else:  # skip(-1) skips everything
            length = 0 if count < 0 else max(self._length - count, 0)
        return Dataset(make, length, self._known_spec)

    def repeat(self, count=None):
        """Repeat the dataset ``count`` times (forever if ``None``)."""
        source = self

        def make():
            passes = 0
            while count is None or count < 0 or passes < count:
                empty = True
                for element in source._make_iterator():
                    empty = False
                    yield element
                passes += 1
                if empty:
                    return

        # TensorFlow's rules: forever is endless unless the dataset is empty; a count of 0 is
        # empty; an endless or unknown dataset stays so.
        forever = count is None or count < 0
        if forever:
            length = 0 if self._length == 0 else _INFINITE
        elif count == 0:
            length = 0
        elif self._length is None or self._length == _INFINITE:
            length = self._length
        else:
            length = self._length * count
        return Dataset(make, length, self._known_spec)

    def unbatch(self):
        """Split each element (a batch) back into its rows: the opposite of ``batch``."""
        source = self

        def make():
            for element in source._make_iterator():
                # A sparse batch is read row by row as an array is (each row a SparseTensor), a ragged
                # one as its rows (each a ragged row of ragged_rank 0, as TensorFlow's unbatch gives).
                rows = map_structure(_unbatchable, element)
                leaves = flatten(rows)
                if not leaves or any(len(leaf.shape) == 0 for leaf in leaves):
                    raise ValueError("unbatch: every element must be batched (have a first axis)")
                for i in range(leaves[0].shape[0]):
                    yield map_structure(lambda a: a[i], rows)

        def spec():
            batched = self.element_spec
            if any(leaf.shape is not None and len(leaf.shape) == 0 for leaf in flatten(batched)):
                raise ValueError("unbatch: every element must be batched (have a first axis)")
            return map_structure(_unbatched_spec, batched)

        return Dataset(make, _INFINITE if self._length == _INFINITE else None, spec)

    def concatenate(self, dataset):
        """This dataset's elements, then those of ``dataset``."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"concatenate expects a Dataset, got {type(dataset).__name__}")
        first, second = self, dataset
        lengths = (first._length, second._length)
        if _INFINITE in lengths:  # as TensorFlow: endless wins over unknown
            length = _INFINITE
        else:
            length = None if None in lengths else first._length + second._length

        def make():
            yield from first._make_iterator()
            yield from second._make_iterator()

        return Dataset(make, length, lambda: _most_specific_common(first.element_spec, second.element_spec))

    def enumerate(self, start=0):
        """Pairs ``(index, element)``, counting from ``start``."""
        source = self
        return Dataset(
            lambda: ((numpy.int64(i), e) for i, e in enumerate(source._make_iterator(), start)),
            self._length,
            lambda: (TensorSpec((), "int64"), source.element_spec),
        )

    def prefetch(self, buffer_size=None):
        """Accepted for compatibility: learnet reads data in the training process."""
        return self

    def cache(self, filename=""):
        """Accepted for compatibility: the elements already live in memory."""
        return self

    def flat_map(self, map_func, name=None):
        """``map_func`` turns each element into a dataset; their elements follow one another."""
        source = self

        def make():
            for element in source._make_iterator():
                inner = _call(map_func, element)
                if not isinstance(inner, Dataset):
                    raise TypeError(f"flat_map: map_func must return a Dataset, got {type(inner).__name__}")
                yield from inner._make_iterator()

        return Dataset(make, None)

    def interleave(
        self, map_func, cycle_length=None, block_length=None, num_parallel_calls=None, deterministic=None, name=None
    ):
        """Read ``cycle_length`` of the datasets ``map_func`` makes at once, ``block_length``
        elements from each in turn (TensorFlow's order; files read side by side).

        Examples
        --------
        >>> import learnet as tf
        >>> ds = tf.data.Dataset.range(1, 4).interleave(
        ...     lambda x: tf.data.Dataset.from_tensors(x).repeat(3), cycle_length=2, block_length=2)
        >>> [int(x) for x in ds]
        [1, 1, 2, 2, 1, 2, 3, 3, 3]
        """
        cycle = _positive(cycle_length, "interleave", "cycle_length", default=os.cpu_count() or 1)
        block = _positive(block_length, "interleave", "block_length", default=1)
        source = self

        def make():
            inputs = source._make_iterator()
            slots = []  # the open datasets' iterators, in cycle order
            exhausted = False

            def open_next():
                nonlocal exhausted
                for element in inputs:
                    inner = _call(map_func, element)
                    if not isinstance(inner, Dataset):
                        raise TypeError(f"interleave: map_func must return a Dataset, got {type(inner).__name__}")
                    return inner._make_iterator()
                exhausted = True
                return None

            while len(slots) < cycle and not exhausted:
                opened = open_next()
                if opened is not None:
                    slots.append(opened)
            position = 0
            while slots:
                iterator = slots[position]
                finished = False
                for _ in range(block):
                    try:
                        yield next(iterator)
                    except StopIteration:
                        finished = True
                        break
                if finished:  # the next input's dataset takes the slot; the turn passes on
                    replacement = None if exhausted else open_next()
                    if replacement is None:
                        del slots[position]
                        if slots:
                            position %= len(slots)
                        continue
                    slots[position] = replacement
                position = (position + 1) % len(slots)

        return Dataset(make, None)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """Windows of ``size`` consecutive elements, each a small dataset of its own; a window
        starts every ``shift`` elements (``size`` by default) and takes every ``stride``-th one.

        Turn the windows into tensors with ``flat_map(lambda w: w.batch(size))``.

        Examples
        --------
        >>> import learnet as tf
        >>> windows = tf.data.Dataset.range(6).window(4, shift=1, drop_remainder=True)
        >>> [w.numpy().tolist() for w in windows.flat_map(lambda w: w.batch(4))]
        [[0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5]]
        """
        size = _positive(size, "window", "size")
        shift = _positive(shift, "window", "shift", default=size)
        stride = _positive(stride, "window", "stride")
        span = (size - 1) * stride + 1
        source = self

        def make():
            # Elements are kept with their positions, so a shift larger than the window skips
            # the elements between windows.
            pending = []
            next_start = 0
            for index, element in enumerate(source._make_iterator()):
                if index >= next_start:
                    pending.append((index, element))
                while pending and index - pending[0][0] + 1 >= span:
                    first = pending[0][0]
                    yield _window_of([e for i, e in pending if i < first + span and (i - first) % stride == 0])
                    next_start = first + shift
                    pending = [(i, e) for i, e in pending if i >= next_start]
            while pending and not drop_remainder:
                first = pending[0][0]
                yield _window_of([e for i, e in pending if i < first + span and (i - first) % stride == 0])
                next_start = first + shift
                pending = [(i, e) for i, e in pending if i >= next_start]

        length = self._length
        if self._length is not None and self._length != _INFINITE:
            if drop_remainder:
                length = max(0, (self._length - span) // shift + 1) if self._length >= span else 0
            else:
                length = -(-self._length // shift)
        return Dataset(make, length)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """Like ``batch``, for elements of different shapes: each is padded (with 0, ``b""`` or
        ``padding_values``) to the largest in its batch, or to ``padded_shapes``.

        Elements may be nested tuples and dicts, as TensorFlow's: ``padded_shapes`` and
        ``padding_values`` then have the same structure (``None`` for a part padded as by
        default), and one scalar ``padding_values`` pads every part. A padded size of ``None``
        or -1 is the batch's largest. As in TensorFlow, ragged and sparse parts are refused
        (``TypeError``): pad ``rt.to_tensor()`` instead.

        Parameters
        ----------
        batch_size : int
            How many elements each batch holds.
        padded_shapes : shape or nested structure of shapes, optional
            The shape each element (part) is padded to, without the batch axis; by default
            the parts' known sizes and the batch's largest for the others.
        padding_values : scalar or nested structure of scalars, optional
            What fills the padding, of each part's dtype (a Python number fits any number
            type).
        drop_remainder : bool, default False
            Leave out a last batch with fewer elements.

        Examples
        --------
        >>> import learnet as tf
        >>> ds = tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x], x))
        >>> [b.numpy().tolist() for b in ds.padded_batch(2)]
        [[[1, 0], [2, 2]], [[3, 3, 3]]]
        >>> pairs = tf.data.Dataset.range(1, 4).map(lambda x: (x, {"ids": tf.fill([x], x)}))
        >>> x, parts = next(iter(pairs.padded_batch(2, padding_values=(None, {"ids": -1}))))
        >>> parts["ids"].numpy().tolist()
        [[1, -1], [2, 2]]
        """
        batch_size = _positive(batch_size, "padded_batch", "batch_size")
        source = self
        if self._spec is not None:
            # TensorFlow checks the arguments against the elements when the pipeline is built.
            try:
                known = self.element_spec
            except ValueError:
                known = None
            if known is not None:
                _padded_spec(known, padded_shapes, padding_values, None)

        def pad(elements):
            first = elements[0]
            shapes = _leaves_up_to(first, padded_shapes, "padded_shapes", broadcast=False)
            values = _leaves_up_to(first, padding_values, "padding_values", broadcast=True)
            columns = zip(*[flatten(element) for element in elements])
            padded = iter([_pad_leaves(column, shape, value) for column, shape, value in zip(columns, shapes, values)])
            return map_structure(lambda _: next(padded), first)

        def make():
            batch = []
            for element in source._make_iterator():
                batch.append(element)
                if len(batch) == batch_size:
                    yield pad(batch)
                    batch = []
            if batch and not drop_remainder:
                yield pad(batch)

        length = _batched_length(self._length, batch_size, drop_remainder)
        return Dataset(
            make,
            length,
            lambda: _padded_spec(
                source.element_spec, padded_shapes, padding_values, batch_size if drop_remainder else None
            ),
        )

    def reduce(self, initial_state, reduce_func, name=None):
        """Fold the elements into one value: ``state = reduce_func(state, element)``.

        Examples
        --------
        >>> import learnet as tf
        >>> int(tf.data.Dataset.range(5).reduce(0, lambda total, x: total + x))
        10
        """
        state = _to_tensors(map_structure(_as_array, initial_state))
        for element in self._make_iterator():
            # Two arguments, as TensorFlow passes them: a tuple element stays one argument.
            state = reduce_func(state, _to_tensors(element))
            state = _to_tensors(map_structure(_as_array, state))
        return state

    def scan(self, initial_state, scan_func, name=None):
        """Carry a state along: ``state, output = scan_func(state, element)``; the outputs are the new elements."""
        source = self

        def make():
            state = _to_tensors(map_structure(_as_array, initial_state))
            for element in source._make_iterator():
                result = scan_func(state, _to_tensors(element))  # (state, element), a tuple element whole
                if not isinstance(result, (tuple, list)) or len(result) != 2:
                    raise TypeError("scan: scan_func must return (new_state, output)")
                state = _to_tensors(map_structure(_as_array, result[0]))
                yield map_structure(_as_array, result[1])

        return Dataset(make, self._length)

    def apply(self, transformation_func):
        """``transformation_func(self)``: a pipeline step written as a function of a dataset."""
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(f"apply: transformation_func must return a Dataset, got {type(result).__name__}")
        return result

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element, starting at ``index`` (one worker's part of the data)."""
        num_shards = _positive(num_shards, "shard", "num_shards")
        if not 0 <= int(index) < num_shards:
            raise errors.InvalidArgumentError(None, None, f"shard: index must be in [0, {num_shards}), got {index}")
        index = int(index)
        source = self
        length = self._length
        if self._length is not None and self._length != _INFINITE:
            length = len(range(index, self._length, num_shards))
        return Dataset(
            lambda: (e for i, e in enumerate(source._make_iterator()) if i % num_shards == index),
            length,
            self._known_spec,
        )

    def take_while(self, predicate, name=None):
        """The elements up to the first one for which ``predicate`` is false."""
        source = self

        def make():
            for element in source._make_iterator():
                if not bool(_call(predicate, element)):
                    return
                yield element

        return Dataset(make, None, self._known_spec)

    def unique(self, name=None):
        """Each distinct element once, in the order first seen (scalars: numbers or strings)."""
        source = self

        def make():
            seen = set()
            for element in source._make_iterator():
                array = numpy.asarray(element)
                if array.ndim:
                    raise TypeError("unique: elements must be scalars (numbers or strings)")
                key = array.item()
                if key not in seen:
                    seen.add(key)
                    yield element

        return Dataset(make, None, self._known_spec)

    def group_by_window(self, key_func, reduce_func, window_size=None, window_size_func=None, name=None):
        """Group elements by ``key_func(element)``; every ``window_size`` elements of one key (and
        what is left of each key at the end) become a dataset that ``reduce_func(key, window)`` turns
        into a dataset, whose elements are the output."""
        if (window_size is None) == (window_size_func is None):
            raise ValueError("group_by_window: give exactly one of window_size and window_size_func")
        source = self

        def make():
            groups = {}
            for element in source._make_iterator():
                key = int(numpy.asarray(_call(key_func, element)))
                size = (
                    int(window_size)
                    if window_size is not None
                    else int(window_size_func(Tensor._wrap(numpy.int64(key))))
                )
                group = groups.setdefault(key, [])
                group.append(element)
                if len(group) >= size:
                    yield from _reduced(reduce_func, key, group)
                    groups[key] = []
            for key, group in groups.items():
                if group:
                    yield from _reduced(reduce_func, key, group)

        return Dataset(make, None)

    def bucket_by_sequence_length(
        self,
        element_length_func,
        bucket_boundaries,
        bucket_batch_sizes,
        padded_shapes=None,
        padding_values=None,
        pad_to_bucket_boundary=False,
        no_padding=False,
        drop_remainder=False,
        name=None,
    ):
        """Batch sequences of similar length together: a sequence of length ``n`` goes to the
        first bucket whose boundary is above ``n``; each bucket has its own batch size and is padded."""
        boundaries = [int(b) for b in bucket_boundaries]
        sizes = [int(b) for b in bucket_batch_sizes]
        if len(sizes) != len(boundaries) + 1:
            raise ValueError(
                f"bucket_by_sequence_length: bucket_batch_sizes needs {len(boundaries) + 1} entries "
                f"(one more than bucket_boundaries), got {len(sizes)}"
            )
        if boundaries != sorted(boundaries):
            raise ValueError("bucket_by_sequence_length: bucket_boundaries must be sorted")

        def bucket(*element):
            length = int(numpy.asarray(element_length_func(*element)))
            return Tensor._wrap(numpy.int64(sum(length >= b for b in boundaries)))

        def batch_bucket(key, window):
            size = sizes[int(key)]
            if no_padding:
                return window.batch(size, drop_remainder=drop_remainder)
            shapes = padded_shapes
            if pad_to_bucket_boundary:
                if int(key) == len(boundaries):
                    raise ValueError(
                        "bucket_by_sequence_length: pad_to_bucket_boundary needs every length below the last boundary"
                    )
                shapes = map_structure(lambda _: [boundaries[int(key)] - 1], window.element_spec)
            return window.padded_batch(size, shapes, padding_values, drop_remainder=drop_remainder)

        return self.group_by_window(bucket, batch_bucket, window_size_func=lambda key: sizes[int(key)])

    def get_single_element(self, name=None):
        """The one element of a dataset that has exactly one."""
        iterator = self._make_iterator()
        for first in iterator:
            for _ in iterator:
                raise errors.InvalidArgumentError(
                    None, None, "get_single_element: the dataset has more than one element"
                )
            return _to_tensors(first)
        raise errors.InvalidArgumentError(None, None, "get_single_element: the dataset is empty")

    def ignore_errors(self, log_warning=False, name=None):
        """Skip the elements whose computation raises an error (a bad line, an unreadable file).

        An error in a ``map`` function skips that element and the rest follow; an error in
        reading a source ends the pass there.
        """
        per_element = getattr(self, "_per_element", None)

        def skipped(error):
            if log_warning:
                warnings.warn(f"ignore_errors: skipped an element: {error}", stacklevel=3)

        def make():
            if per_element is not None:
                source, apply = per_element
                for element in source._make_iterator():
                    try:
                        result = apply(element)
                    except Exception as error:  # noqa: BLE001 - what TensorFlow's ignore_errors skips
                        skipped(error)
                        continue
                    yield result
                return
            iterator = self._make_iterator()
            while True:
                try:
                    element = next(iterator)
                except StopIteration:
                    return
                except Exception as error:  # noqa: BLE001 - the source cannot go on after it
                    skipped(error)
                    return
                yield element

        return Dataset(make, None, self._known_spec)

    def assert_cardinality(self, expected_cardinality, name=None):
        """This dataset, checked to have exactly ``expected_cardinality`` elements as it is read."""
        expected = int(expected_cardinality)
        source = self

        def make():
            count = 0
            for element in source._make_iterator():
                count += 1
                if count > expected:
                    raise errors.FailedPreconditionError(
                        None, None, f"assert_cardinality: the dataset has more than the expected {expected} elements"
                    )
                yield element
            if count < expected:
                raise errors.FailedPreconditionError(
                    None, None, f"assert_cardinality: the dataset has {count} elements, {expected} were expected"
                )

        return Dataset(make, expected, self._known_spec)

    def options(self):
        """The dataset's ``tf.data.Options`` (read by TensorFlow's distribution; kept as set)."""
        return getattr(self, "_options", None) or Options()

    def with_options(self, options, name=None):
        """This dataset with ``options`` attached (``options()`` gives them back)."""
        if not isinstance(options, Options):
            raise TypeError(f"with_options expects tf.data.Options, got {type(options).__name__}")
        result = Dataset(self._make_iterator, self._length, self._spec)
        for attribute in ("_arrays", "_order"):
            if hasattr(self, attribute):
                setattr(result, attribute, getattr(self, attribute))
        result._options = options
        return result

    # --- what an element looks like ----------------------------------------------------------
    @property
    def element_spec(self):
        """The structure of ``tf.TensorSpec`` that every element matches (``tf.data``'s ``element_spec``).

        A batch dimension that may be smaller in the last batch is ``None``, as in TensorFlow.

        Examples
        --------
        >>> import numpy as np, learnet as tf
        >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((4, 3), "float32"), np.arange(4)))
        >>> ds.batch(2).element_spec
        (TensorSpec(shape=(None, 3), dtype=tf.float32, name=None), TensorSpec(shape=(None,), dtype=tf.int64, name=None))
        """
        if self._spec is not None:
            return self._spec()
        for element in self._make_iterator():
            return map_structure(_value_spec, element)
        raise ValueError("element_spec: this dataset has no elements to read its structure from")

    def _known_spec(self):
        return self.element_spec

    def _batched_spec(self, batch_dimension):
        def spec():
            return map_structure(lambda leaf: _batched_leaf_spec(leaf, batch_dimension), self.element_spec)

        return spec

    # --- reading ---------------------------------------------------------------------------
    def __iter__(self):
        """An ``OwnedIterator`` over the elements, as tensors (``iter(dataset)``, as ``tf.data``).

        Examples
        --------
        >>> import learnet as tf
        >>> it = iter(tf.data.Dataset.range(3))
        >>> int(next(it)), int(it.get_next())
        (0, 1)
        """
        return OwnedIterator(self)

    def as_numpy_iterator(self):
        """An iterator over the elements as NumPy arrays (a ``NumpyIterator``, with ``next()``).

        Examples
        --------
        >>> import learnet as tf
        >>> it = tf.data.Dataset.range(3).as_numpy_iterator()
        >>> int(it.next()), [int(v) for v in it]
        (0, [1, 2])
        """
        return NumpyIterator(self)

    def __len__(self):
        if self._length is None:
            raise TypeError("The dataset length is unknown.")
        if self._length == _INFINITE:
            raise TypeError("The dataset is infinite.")
        return self._length

    def cardinality(self):
        """The number of elements as a scalar int64 tensor: ``tf.data.INFINITE_CARDINALITY``
        (-1) for an endless dataset, ``tf.data.UNKNOWN_CARDINALITY`` (-2) when it cannot be
        known without reading (after a ``filter``).

        Examples
        --------
        >>> import learnet as tf
        >>> tf.data.Dataset.range(10).batch(4).cardinality().numpy()
        np.int64(3)
        >>> tf.data.Dataset.range(10).repeat().cardinality().numpy() == tf.data.INFINITE_CARDINALITY
        np.True_
        >>> tf.data.Dataset.range(10).repeat().take(4).cardinality().numpy()
        np.int64(4)
        """
        if self._length is None:
            count = UNKNOWN_CARDINALITY
        elif self._length == _INFINITE:
            count = INFINITE_CARDINALITY
        else:
            count = self._length
        return Tensor._wrap(numpy.asarray(count, dtype=numpy.int64))

    def __repr__(self):
        length = {None: "unknown", _INFINITE: "infinite"}.get(self._length, self._length)
        return f"<learnet.data.Dataset length={length}>"


def _spec_of(shape, dtype):
    # Text arrays (NumPy's str and bytes kinds) become string tensors when read.
    return TensorSpec(shape, numpy.object_ if numpy.dtype(dtype).kind in "USO" else dtype)


def _value_spec(value):
    """The spec of one element's leaf: a ``SparseTensorSpec`` for sparse values, a ``RaggedTensorSpec``
    for ragged ones (``ragged_rank`` 0 for one ragged row: its length is ``None``), else a ``TensorSpec``."""
    if isinstance(value, (SparseTensor, _SparseRows)):
        return SparseTensorSpec(value.shape, value.dtype)
    if isinstance(value, RaggedTensor):
        return RaggedTensorSpec.from_value(value)
    if isinstance(value, _RaggedRow):
        text = value.dtype.kind in "USO"
        return RaggedTensorSpec((None, *value.shape[1:]), numpy.object_ if text else value.dtype, 0)
    return _spec_of(numpy.shape(value), numpy.asarray(value).dtype)


def _respec(spec, shape):
    """A spec of the same kind (dense, sparse or ragged) and dtype with another shape of the same rank."""
    if isinstance(spec, SparseTensorSpec):
        return SparseTensorSpec(shape, spec.dtype)
    if isinstance(spec, RaggedTensorSpec):
        return spec._with_shape(shape)
    return TensorSpec(shape, spec.dtype)


def _sliced_spec(array):
    """The spec of one slice of ``array`` (``from_tensor_slices``): a ragged tensor's rows are ragged rows."""
    if isinstance(array, RaggedTensor):
        return _value_spec(array)._unbatched()
    return _respec(_value_spec(array), array.shape[1:])


def _batched_leaf_spec(spec, batch_dimension):
    """The spec of a batch of ``spec`` leaves: a ragged leaf gains a ragged axis (TensorFlow's rule)."""
    if isinstance(spec, RaggedTensorSpec):
        return spec._batched(batch_dimension)
    return _respec(spec, None if spec.shape is None else (batch_dimension, *spec.shape))


def _unbatched_spec(spec):
    """The spec of one row of a ``spec`` leaf (``unbatch``): a ragged leaf loses a ragged axis.

    The rows of ragged rows are plain values (TensorFlow says ``ragged_rank`` -1).
    """
    if isinstance(spec, RaggedTensorSpec) and spec.ragged_rank > 0:
        return spec._unbatched()
    if isinstance(spec, RaggedTensorSpec):
        return TensorSpec(None if spec.shape is None else spec.shape[1:], spec.dtype)
    return _respec(spec, None if spec.shape is None else spec.shape[1:])


def _unbatchable(leaf):
    """A batched leaf as something whose ``[i]`` is row ``i`` (``unbatch``)."""
    if isinstance(leaf, SparseTensor):
        return _SparseRows(leaf)
    if isinstance(leaf, RaggedTensor):
        return _ragged_rows(leaf)
    return leaf


def _conform(element, spec):
    """A generator's element as the arrays its declared signature says (``from_generator``)."""
    if isinstance(spec, dict):
        if not isinstance(element, dict) or set(element) != set(spec):
            raise TypeError(
                f"from_generator: the generator yielded {_short_repr(element)}, where a dict with keys "
                f"{sorted(spec)} was declared"
            )
        return {key: _conform(element[key], spec[key]) for key in spec}
    if isinstance(spec, (tuple, list)):
        if not isinstance(element, (tuple, list)) or len(element) != len(spec):
            raise TypeError(
                f"from_generator: the generator yielded {_short_repr(element)}, where a tuple of {len(spec)} "
                f"components was declared ({spec})"
            )
        return tuple(_conform(part, part_spec) for part, part_spec in zip(element, spec))
    if not isinstance(spec, TensorSpec):
        return _as_array(element)
    if isinstance(element, Tensor):
        element = element.numpy()
    dtype = numpy.dtype(spec.dtype)
    if dtype.kind == "O":  # text: str or bytes, nested as deep as the shape says
        array = numpy.asarray(element, dtype=object)
        array = numpy.vectorize(lambda v: v.encode() if isinstance(v, str) else v, otypes=[object])(array)
        if array.size and not all(isinstance(v, bytes) for v in array.reshape(-1)):
            raise TypeError(f"from_generator: the generator yielded {_short_repr(element)} where text was declared")
    else:
        array = numpy.asarray(element)
        if array.dtype == object or array.dtype.kind in "SU" or (array.dtype.kind == "f" and dtype.kind in "iub"):
            raise TypeError(
                f"from_generator: the generator yielded {_short_repr(element)} ({array.dtype}), which does not "
                f"convert to the declared {dtype.name}"
            )
        array = array.astype(dtype, copy=False)
    if spec.shape is not None and spec.shape.rank is not None:
        declared = tuple(spec.shape.as_list())
        if len(declared) != array.ndim or any(d is not None and d != n for d, n in zip(declared, array.shape)):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"from_generator: the generator yielded an element of shape {array.shape} where an element "
                f"of shape {declared} was declared",
            )
    return array


def _short_repr(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _zip_specs(types, shapes):
    if isinstance(types, dict):
        return {key: _zip_specs(types[key], None if shapes is None else shapes[key]) for key in types}
    if isinstance(types, (tuple, list)):
        return tuple(_zip_specs(t, None if shapes is None else shapes[i]) for i, t in enumerate(types))
    return TensorSpec(shapes, types)


def _most_specific_common(a, b):
    """One spec both structures fit: sizes that differ become ``None`` (``concatenate``)."""
    if flatten(map_structure(lambda _: 0, a)) != flatten(map_structure(lambda _: 0, b)) or type(a) is not type(b):
        raise TypeError(f"concatenate: the datasets have different structures: {a} and {b}")
    pairs = zip(flatten(a), flatten(b))
    merged = []
    for left, right in pairs:
        if type(left) is not type(right):
            raise TypeError(f"concatenate: the datasets have sparse and dense elements: {left} and {right}")
        if left.dtype != right.dtype:
            raise TypeError(f"concatenate: the datasets have different dtypes: {left} and {right}")
        if isinstance(left, RaggedTensorSpec) and left.ragged_rank != right.ragged_rank:
            raise TypeError(f"concatenate: the datasets have different ragged ranks: {left} and {right}")
        if left.shape is None or right.shape is None or len(left.shape) != len(right.shape):
            merged.append(_respec(left, None))
        else:
            merged.append(_respec(left, [p if p == q else None for p, q in zip(left.shape, right.shape)]))
    iterator = iter(merged)
    return map_structure(lambda _: next(iterator), a)


def _mapped_spec(source, mapped):
    # The function is run on the first element (TensorFlow traces it once). A batch axis that
    # is None in the input stays None in the output, for every output that keeps it.
    for element in mapped._make_iterator():
        first = source._make_iterator()
        batch = None
        source_leaves = flatten(source.element_spec)
        if source_leaves and all(leaf.shape and leaf.shape[0] is None for leaf in source_leaves):
            batch = _value_spec(flatten(next(iter(first)))[0]).shape[0]

        def spec(a):
            found = _value_spec(a)
            shape = found.shape
            if batch is not None and len(shape) and shape[0] == batch:
                return _respec(found, (None, *shape[1:]))
            return found

        return map_structure(spec, element)
    raise ValueError("element_spec: this dataset has no elements to read its structure from")


def _stack(elements):
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
    if isinstance(first, list):
        return [_stack([e[i] for e in elements]) for i in range(len(first))]
    if isinstance(first, dict):
        return {k: _stack([e[k] for e in elements]) for k in first}
    if isinstance(first, SparseTensor):
        return _stack_sparse(elements)
    if isinstance(first, RaggedTensor):
        raise NotImplementedError(
            "batch: a batch of RaggedTensors has two ragged dimensions (ragged_rank 2); learnet's ragged tensors "
            "have one. Unbatch them first (dataset.unbatch().batch(n)) to batch their rows"
        )
    if isinstance(first, _RaggedRow):
        return _ragged_from_rows(elements)
    return numpy.stack(elements)


def _rows_of(element):
    leaf = flatten(element)[0]
    return leaf.nrows_int() if isinstance(leaf, RaggedTensor) else int(numpy.shape(leaf)[0])


def _concatenate(elements):
    """Elements (batches) joined along their first axis, leaf by leaf (ragged batches row after row)."""
    if len(elements) == 1:
        return elements[0]
    leaves = [flatten(e) for e in elements]
    joined = iter([_join([parts[i] for parts in leaves]) for i in range(len(leaves[0]))])
    return map_structure(lambda _: next(joined), elements[0])


def _join(parts):
    """Arrays joined along their first axis; ragged tensors joined row after row (their values end to end)."""
    if not isinstance(parts[0], RaggedTensor):
        return numpy.concatenate(parts)
    values = numpy.concatenate([part.flat_values.numpy() for part in parts])
    lengths = numpy.concatenate([numpy.diff(part.row_splits.numpy()) for part in parts])
    values = Tensor(values) if values.dtype.kind in "USO" else Tensor._wrap(values)
    joined = RaggedTensor.from_row_lengths(values, lengths)
    return joined.with_row_splits_dtype(parts[0].row_splits.dtype)


_SAVED_DESCRIPTION = "learnet_dataset.json"
_SAVED_ARRAYS = "elements.npz"


def _json_structure(value, leaf):
    """A (nested) tuple, list or dict as plain JSON data (``{"tuple": [...]}``...), each leaf as
    ``leaf(value)`` makes it: the form ``Dataset.save`` writes elements and specs in."""
    if isinstance(value, tuple):
        return {"tuple": [_json_structure(part, leaf) for part in value]}
    if isinstance(value, list):
        return {"list": [_json_structure(part, leaf) for part in value]}
    if isinstance(value, dict):
        return {"dict": {str(key): _json_structure(part, leaf) for key, part in value.items()}}
    return leaf(value)


def _describe_structure(element):
    return _json_structure(element, _describe_leaf)


def _describe_leaf(element):
    if isinstance(element, (Dataset, RaggedTensor, SparseTensor)):
        raise TypeError(f"Dataset.save: elements holding a {type(element).__name__} cannot be saved")
    return "string" if numpy.asarray(element).dtype.kind in "OSU" else "numbers"


def _build_structure(description, leaves):
    if isinstance(description, dict):
        if "tuple" in description:
            return tuple(_build_structure(d, leaves) for d in description["tuple"])
        if "list" in description:
            return [_build_structure(d, leaves) for d in description["list"]]
        return {k: _build_structure(d, leaves) for k, d in description["dict"].items()}
    return next(leaves)


def _count_leaves(description):
    if isinstance(description, dict):
        parts = description.get("tuple") or description.get("list") or list(description.get("dict", {}).values())
        return sum(_count_leaves(d) for d in parts)
    return 1


def _spec_to_json(spec):
    """An ``element_spec`` as plain JSON data (the structure, and each leaf's kind, shape and dtype)."""
    return _json_structure(spec, _spec_leaf_to_json)


def _spec_leaf_to_json(spec):
    leaf = {
        "kind": "ragged" if isinstance(spec, RaggedTensorSpec) else "tensor",
        "shape": None if spec.shape is None else list(spec.shape),
        "dtype": "string" if numpy.dtype(spec.dtype).kind in "USO" else numpy.dtype(spec.dtype).name,
    }
    if isinstance(spec, RaggedTensorSpec):
        leaf.update(ragged_rank=spec.ragged_rank, row_splits_dtype=numpy.dtype(spec.row_splits_dtype).name)
    return leaf


def _spec_from_json(data):
    """The ``element_spec`` ``_spec_to_json`` wrote."""
    if "tuple" in data:
        return tuple(_spec_from_json(part) for part in data["tuple"])
    if "list" in data:
        return [_spec_from_json(part) for part in data["list"]]
    if "dict" in data:
        return {key: _spec_from_json(part) for key, part in data["dict"].items()}
    dtype = numpy.object_ if data["dtype"] == "string" else data["dtype"]
    if data["kind"] == "ragged":
        return RaggedTensorSpec(data["shape"], dtype, data["ragged_rank"], data["row_splits_dtype"])
    return TensorSpec(data["shape"], dtype)


def _relaxed(spec, other):
    """One spec both leaf specs fit: sizes that differ become ``None`` (a dataset's spec across its elements)."""
    if (
        spec is None
        or type(spec) is not type(other)
        or getattr(spec, "ragged_rank", 0) != getattr(other, "ragged_rank", 0)
    ):
        return other
    if spec.shape is None or other.shape is None or len(spec.shape) != len(other.shape):
        return _respec(spec, None)
    return _respec(spec, [a if a == b else None for a, b in zip(spec.shape, other.shape)])


def _store_leaf(arrays, key, leaf):
    """Put one leaf into the ``.npz`` arrays: text as its bytes end to end and each one's length."""
    leaf = numpy.asarray(leaf)
    if leaf.dtype.kind in "OSU":
        texts = [v.encode() if isinstance(v, str) else bytes(v) for v in leaf.reshape(-1).tolist()]
        arrays[key + "_bytes"] = numpy.frombuffer(b"".join(texts), dtype=numpy.uint8)
        arrays[key + "_lengths"] = numpy.array([len(t) for t in texts], dtype=numpy.int64).reshape(leaf.shape)
    else:
        arrays[key] = leaf


def _read_leaf(stored, key, spec=None):
    """One leaf ``_store_leaf`` wrote; a ragged row comes back marked as one (its ``spec`` says so)."""
    if key in stored.files:
        array = stored[key]
    else:
        lengths = stored[key + "_lengths"]
        data = stored[key + "_bytes"].tobytes()
        ends = numpy.cumsum(lengths.reshape(-1))
        array = numpy.empty(lengths.size, dtype=object)
        array[:] = [data[end - n : end] for end, n in zip(ends.tolist(), lengths.reshape(-1).tolist())]
        array = array.reshape(lengths.shape)
    if isinstance(spec, RaggedTensorSpec) and spec.ragged_rank == 0:
        return _RaggedRow.of(array)
    return array


def _save_dataset(dataset, path, compression):
    if compression not in (None, "", "GZIP", "NONE"):
        raise ValueError(f"Dataset.save: compression must be None or 'GZIP', got {compression!r}")
    arrays, description, count = {}, None, 0
    # The spec TensorFlow saves: the dataset's own, with each size that differs between the
    # elements made None (learnet reads some specs from the first element).
    seen = None
    for index, element in enumerate(dataset._make_iterator()):
        structure = _describe_structure(element)
        if description is None:
            description = structure
        elif structure != description:
            raise TypeError("Dataset.save: the elements do not all have the same structure")
        leaf_specs = [_value_spec(leaf) for leaf in flatten(element)]
        seen = leaf_specs if seen is None else [_relaxed(a, b) for a, b in zip(seen, leaf_specs)]
        for leaf_index, leaf in enumerate(flatten(element)):
            _store_leaf(arrays, f"e{index}_{leaf_index}", leaf)
        count = index + 1
    spec = None
    if count:
        declared = dataset.element_spec
        relaxed = iter([_relaxed(d, s) for d, s in zip(flatten(declared), seen)])
        spec = _spec_to_json(map_structure(lambda _: next(relaxed), declared))
    os.makedirs(path, exist_ok=True)
    (numpy.savez_compressed if compression == "GZIP" else numpy.savez)(os.path.join(path, _SAVED_ARRAYS), **arrays)
    with open(os.path.join(path, _SAVED_DESCRIPTION), "w", encoding="utf-8") as stream:
        json.dump({"format": 2, "count": count, "structure": description, "element_spec": spec}, stream)


def _load_dataset(path, element_spec=None):
    described = os.path.join(os.fspath(path), _SAVED_DESCRIPTION)
    if not os.path.isfile(described):
        raise errors.NotFoundError(
            None,
            None,
            f"Dataset.load: {os.fspath(path)!r} holds no dataset saved by learnet's Dataset.save "
            "(TensorFlow's snapshot files are not read)",
        )
    with open(described, encoding="utf-8") as stream:
        header = json.load(stream)
    count, description = int(header["count"]), header["structure"]
    leaves_per_element = _count_leaves(description)
    saved_spec = header.get("element_spec")  # files of format 1 have none: it is read from the first element
    spec = element_spec if element_spec is not None else (None if saved_spec is None else _spec_from_json(saved_spec))
    if element_spec is not None and count and len(flatten(element_spec)) != leaves_per_element:
        raise ValueError(
            f"Dataset.load: element_spec has {len(flatten(element_spec))} components, the saved elements "
            f"have {leaves_per_element}"
        )
    leaf_specs = [None] * leaves_per_element if spec is None else flatten(spec)

    def make():
        with numpy.load(os.path.join(os.fspath(path), _SAVED_ARRAYS), allow_pickle=False) as stored:
            for index in range(count):
                values = [_read_leaf(stored, f"e{index}_{j}", leaf_specs[j]) for j in range(leaves_per_element)]
                yield _build_structure(description, iter(values))

    return Dataset(make, count, None if spec is None else lambda: spec)


def _call(function, element):
    """``function`` on an element, a tuple element passed as separate arguments (as ``map``)."""
    tensors = _to_tensors(element)
    return function(*tensors) if isinstance(tensors, tuple) else function(tensors)


def _positive(value, method, argument, default=None):
    if value is None and default is not None:
        return int(default)
    if value == AUTOTUNE and default is not None:
        return int(default)
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise ValueError(f"{method}: {argument} must be a positive integer, got {value!r}")
    return int(value)


def _array_of(value):
    return numpy.asarray(value.numpy() if isinstance(value, Tensor) else value, dtype=numpy.float64)


def _dataset_list(datasets, method):
    datasets = list(datasets)
    if not datasets or not all(isinstance(d, Dataset) for d in datasets):
        raise TypeError(f"{method} expects a non-empty list of datasets")
    return datasets


def _window_of(elements):
    """One window: a dataset of its elements (a structure of datasets for structured elements)."""
    first = elements[0]
    if isinstance(first, (tuple, list)):
        return type(first)(_window_of([e[i] for e in elements]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _window_of([e[k] for e in elements]) for k in first}
    items = [numpy.asarray(e) if not isinstance(e, numpy.ndarray) else e for e in elements]
    return Dataset(lambda: iter(items), len(items))  # elements may differ in shape (group_by_window)


def _reduced(reduce_func, key, group):
    result = reduce_func(Tensor._wrap(numpy.int64(key)), _window_of(group))
    if not isinstance(result, Dataset):
        raise TypeError(f"group_by_window: reduce_func must return a Dataset, got {type(result).__name__}")
    yield from result._make_iterator()


def _leaves_up_to(structure, given, argument, broadcast):
    """``given`` cut along the nested tuples, lists and dicts of ``structure``: one entry per leaf.

    ``None`` stands for ``None`` at every leaf below; with ``broadcast`` (``padding_values``),
    so does any other value that is not a structure. Otherwise ``given`` must have the
    structure of ``structure`` down to its leaves (TensorFlow's ``map_structure_up_to``).
    """
    if not isinstance(structure, (tuple, list, dict)):
        return [given]
    is_structure = isinstance(given, (tuple, list, dict)) and not isinstance(given, TensorShape)
    if given is None or (broadcast and not is_structure):
        return [given] * len(flatten(structure))
    if isinstance(structure, dict) != isinstance(given, dict):
        raise TypeError(
            f"padded_batch: {argument} must have the structure of the elements, got {_short_repr(given)} "
            f"for a {type(structure).__name__} of {len(structure)}"
        )
    if isinstance(structure, dict):
        if set(given) != set(structure):
            raise ValueError(
                f"padded_batch: {argument} has the keys {sorted(map(str, given))}, the elements "
                f"{sorted(map(str, structure))}"
            )
        parts = [(structure[key], given[key]) for key in structure]
    else:
        if len(given) != len(structure):
            raise ValueError(
                f"padded_batch: {argument} has {len(given)} parts, the elements have {len(structure)}: "
                f"{_short_repr(given)}"
            )
        parts = list(zip(structure, given))
    return [leaf for part, part_given in parts for leaf in _leaves_up_to(part, part_given, argument, broadcast)]


def _padded_shape(padded_shape):
    """A padded shape (list, tuple, TensorShape or tensor of sizes) as a list of ints, ``None`` for the largest."""
    if isinstance(padded_shape, Tensor):
        padded_shape = padded_shape.numpy().tolist()
    if isinstance(padded_shape, (int, numpy.integer)) or not hasattr(padded_shape, "__iter__"):
        raise TypeError(f"padded_batch: a padded shape is a list of sizes (e.g. [None, 4]), got {padded_shape!r}")
    sizes = []
    for size in padded_shape:
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, numpy.integer))):
            raise TypeError(f"padded_batch: a padded shape holds ints or None, got {list(padded_shape)!r}")
        if size is not None and size < -1:
            raise ValueError(f"Dimension {int(size)} must be >= 0")
        sizes.append(None if size is None or size == -1 else int(size))
    return sizes


def _padding_fill(value, dtype):
    """``value`` checked as a padding value of ``dtype`` (TensorFlow's errors), as the scalar that fills."""
    if value is None:
        return b"" if dtype.kind in "USO" else 0
    if isinstance(value, Tensor):
        value = value.numpy()
    if numpy.ndim(value) != 0:
        raise ValueError(
            f"Invalid `padding_values`. `padding_values` values should be scalars, but got {numpy.shape(value)}."
        )
    text = dtype.kind in "USO"
    given = numpy.asarray(value)
    if isinstance(value, (str, bytes)) or given.dtype.kind in "USO":
        given_kind = "string"
    elif isinstance(value, (bool, int, float)):
        given_kind = None  # a Python number fits any number type, a float any float type
    else:
        given_kind = given.dtype.name
    wanted = "string" if text else dtype.name
    fits = given_kind == wanted or (
        given_kind is None and not text and (dtype.kind == "f" or not isinstance(value, float))
    )
    if not fits:
        shown = given_kind or type(value).__name__
        raise TypeError(
            f"Invalid `padding_values`. `padding_values` values type {shown} does not match type {wanted} "
            "of the corresponding input component."
        )
    if text:
        item = given.item()
        return item.encode() if isinstance(item, str) else item
    return given.astype(dtype)


def _refuse_composite(leaf):
    """TensorFlow's ``TypeError`` for a ragged or sparse part of a padded batch (a spec or a value)."""
    if isinstance(leaf, (RaggedTensor, _RaggedRow, SparseTensor, _SparseRows)):
        leaf = _value_spec(leaf)
    if isinstance(leaf, (RaggedTensorSpec, SparseTensorSpec)):
        raise TypeError(
            "`padded_batch` is only supported for datasets that produce tensor elements but type spec of "
            f"elements in the input dataset is not a subclass of TensorSpec: `{leaf}`. Pad ragged values with "
            "rt.to_tensor() in a map, or batch them with batch()."
        )


def _padded_spec(element_spec, padded_shapes, padding_values, batch_dimension):
    """The ``element_spec`` of ``padded_batch``, checking its arguments against the elements' specs."""
    leaves = flatten(element_spec)
    shapes = _leaves_up_to(element_spec, padded_shapes, "padded_shapes", broadcast=False)
    values = _leaves_up_to(element_spec, padding_values, "padding_values", broadcast=True)
    padded = []
    for leaf, shape, value in zip(leaves, shapes, values):
        _refuse_composite(leaf)
        _padding_fill(value, numpy.dtype(leaf.dtype))
        if padded_shapes is None:
            sizes = None if leaf.shape is None else list(leaf.shape)
        else:
            sizes = _padded_shape(shape)
            if leaf.shape is not None and len(sizes) != len(leaf.shape):
                raise ValueError(
                    f"The padded shape {tuple(sizes)} is not compatible with the shape {tuple(leaf.shape)} of "
                    "the corresponding input component."
                )
        padded.append(TensorSpec(None if sizes is None else (batch_dimension, *sizes), leaf.dtype))
    parts = iter(padded)
    return map_structure(lambda _: next(parts), element_spec)


def _pad_leaves(elements, padded_shape, padding_value):
    """Stack ``elements`` (arrays of one rank) padded to ``padded_shape`` (``None``/-1: the batch's largest)."""
    for element in elements:
        _refuse_composite(element)
    arrays = [numpy.asarray(e) for e in elements]
    rank = arrays[0].ndim
    if any(a.ndim != rank for a in arrays):
        raise ValueError(f"padded_batch: elements have different ranks {sorted({a.ndim for a in arrays})}")
    largest = [max(a.shape[d] for a in arrays) for d in range(rank)]
    if padded_shape is None:
        target = largest
    else:
        wanted = _padded_shape(padded_shape)
        if len(wanted) != rank:
            raise ValueError(
                f"The padded shape {tuple(wanted)} is not compatible with the shape {arrays[0].shape} of the "
                "corresponding input component."
            )
        target = [largest[d] if wanted[d] is None else wanted[d] for d in range(rank)]
        too_big = [a.shape for a in arrays if any(a.shape[d] > target[d] for d in range(rank))]
        if too_big:
            raise errors.InvalidArgumentError(  # TensorFlow raises DataLossError, with this meaning
                None,
                None,
                f"padded_batch: attempted to pad to a smaller size than the input element: an element of "
                f"shape {too_big[0]} is larger than the padded shape {tuple(target)}",
            )
    text = arrays[0].dtype.kind in "USO"
    fill = _padding_fill(padding_value, numpy.dtype(object) if text else arrays[0].dtype)
    out = numpy.full([len(arrays), *target], fill, dtype=object if text else arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[(i, *(slice(0, n) for n in a.shape))] = a
    return out


_ITERATOR_FORMAT = "learnet iterator"


class OwnedIterator:
    """An iterator over a dataset's elements, as tensors: what ``iter(dataset)`` gives.

    ``next(it)`` (or ``it.next()``) ends with ``StopIteration``; ``it.get_next()`` ends with
    ``tf.errors.OutOfRangeError`` and ``it.get_next_as_optional()`` with an empty
    ``Optional``, as in TensorFlow. The pass over the dataset starts at the first element read.

    A ``tf.train.Checkpoint`` (or ``CheckpointManager``) saves the iterator's position, as
    TensorFlow's does: after a restore, ``next`` goes on from the element that followed the
    save. The iterator keeps how many elements it gave and where its randomness came from:
    the seed of its own random source, which the unseeded random transformations of its
    pipeline (``shuffle``, ``sample_from_datasets``...) draw from, and the states of the
    seeded ones' generators at each pass. A restore starts a new pass over the same pipeline
    with that randomness and reads that many elements again, so a shuffled pipeline goes on
    in the very order it had (the next epochs' orders too), with or without a seed. The
    cost: a restore computes every element up to the position again (the ``map`` functions
    run again; the saved state grows by a few numbers per epoch of a seeded shuffle), and
    the dataset must be built the same way as the one saved (the same sources and
    transformations; functions that read outside state must give the same results).

    Examples
    --------
    >>> import learnet as tf
    >>> it = iter(tf.data.Dataset.range(2))
    >>> int(it.get_next()), bool(it.get_next_as_optional().has_value()), bool(it.get_next_as_optional().has_value())
    (0, True, False)

    Saving a position and coming back to it:

    >>> import os, tempfile
    >>> it = iter(tf.data.Dataset.range(10).shuffle(10).batch(2))
    >>> checkpoint = tf.train.Checkpoint(iterator=it)
    >>> path = checkpoint.save(os.path.join(tempfile.mkdtemp(), "ckpt"))
    >>> first = [next(it).numpy().tolist() for _ in range(3)]
    >>> _ = checkpoint.restore(path)
    >>> [next(it).numpy().tolist() for _ in range(3)] == first
    True
    """

    def __init__(self, dataset):
        self._dataset = dataset
        self._elements = None
        self._consumed = 0  # how many elements this pass gave
        # The random source of the pass's unseeded transformations, chosen when the iterator is
        # made (as TensorFlow fixes an iterator's seeds): saved before reading, it restores the same pass.
        self._source = numpy.random.default_rng(backend.host_rng().integers(2**63))
        self._source_start = self._source.bit_generator.state
        self._draws = []  # the states of the seeded transformations' generators, in the order asked for
        self._replayed = 0  # how many of them were asked for (again, after a restore)
        self._prepared = None  # (saved state, iterator at its position) from _check_restore

    @property
    def element_spec(self):
        """The structure of ``tf.TensorSpec`` every element matches (the dataset's ``element_spec``)."""
        return self._dataset.element_spec

    def _next_element(self):
        """The next element as the dataset makes it (NumPy); ``StopIteration`` past the end."""
        global _reader
        outer, _reader = _reader, self  # random transformations record their generators here
        try:
            if self._elements is None:
                self._elements = iter(self._dataset._make_iterator())
            element = next(self._elements)
        finally:
            _reader = outer
        self._consumed += 1
        return element

    # --- tf.train.Checkpoint ----------------------------------------------------------------
    def _checkpoint_children(self):
        return []  # no variables: the position is the iterator's own saved state

    def _serialize_to_tensors(self):
        """``{"ITERATOR_STATE": uint8 array}``: the position and random states, as JSON text."""
        return {"ITERATOR_STATE": self._state_array()}

    def _check_restore(self, tensors):
        self._prepare(_saved_state(tensors))

    def _restore_from_tensors(self, tensors):
        self._go_to(_saved_state(tensors))

    def _state_array(self):
        state = {
            "format": _ITERATOR_FORMAT,
            "consumed": self._consumed,
            "cardinality": _saved_cardinality(self._dataset._length),
            "source": self._source_start,
            "draws": self._draws,
        }
        return numpy.frombuffer(json.dumps(state).encode("utf-8"), dtype=numpy.uint8).copy()

    def _prepare(self, array):
        """A new iterator of the dataset moved to the position ``array`` holds; raises if it cannot
        (and changes nothing): the check a restore makes before anything changes."""
        state = _parse_iterator_state(array)
        known, saved = _saved_cardinality(self._dataset._length), state["cardinality"]
        if known is not None and saved is not None and known != saved:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"restoring an iterator: it was saved over a dataset of {saved} elements, but this one has "
                f"{known}; restore it into an iterator of the same dataset",
            )
        fresh = OwnedIterator(self._dataset)
        fresh._draws = state["draws"]
        fresh._source.bit_generator.state = fresh._source_start = state["source"]
        for _ in range(state["consumed"]):
            try:
                fresh._next_element()
            except StopIteration:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"restoring an iterator: it had read {state['consumed']} elements, but this dataset has only "
                    f"{fresh._consumed}; restore it into an iterator of the same dataset",
                ) from None
        self._prepared = (array, fresh)
        return fresh

    def _go_to(self, array):
        """Continue from the position ``array`` holds (prepared by ``_prepare`` when it was checked)."""
        prepared = self._prepared
        fresh = prepared[1] if prepared is not None and prepared[0] is array else self._prepare(array)
        self._prepared = None
        for attribute in ("_elements", "_consumed", "_source", "_source_start", "_draws", "_replayed"):
            setattr(self, attribute, getattr(fresh, attribute))

    # --- reading -----------------------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self):
        return _to_tensors(self._next_element())

    def next(self):
        """The next element (``StopIteration`` past the end), as TensorFlow 1's ``it.next()``."""
        return self.__next__()

    def get_next(self):
        """The next element; past the end, ``tf.errors.OutOfRangeError`` ("End of sequence")."""
        try:
            return self.__next__()
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None

    def get_next_as_optional(self):
        """The next element in an ``Optional``, empty past the end (no error)."""
        try:
            element = self.__next__()
        except StopIteration:
            return Optional.empty(self._dataset.element_spec)
        return Optional.from_value(element, self._dataset.element_spec)


def _saved_state(tensors):
    """The saved state among a checkpoint's ``{name: array}`` (an OwnedIterator's or a NumpyIterator's name)."""
    for name in ("ITERATOR_STATE", "_STATE"):
        if name in tensors:
            return tensors[name]
    raise errors.DataLossError(
        None, None, f"restoring an iterator: the checkpoint holds {sorted(tensors)}, no iterator state"
    )


def _saved_cardinality(length):
    """A length as an iterator's state keeps it in JSON: the number, -1 when endless, None when unknown."""
    return INFINITE_CARDINALITY if length == _INFINITE else length


def _parse_iterator_state(array):
    """The dict an iterator saved (checked), from its uint8 array of JSON text."""
    array = numpy.asarray(array)
    try:
        if array.dtype != numpy.uint8 or array.ndim != 1:
            raise ValueError(f"a {array.dtype} array of shape {array.shape}, not JSON text")
        state = json.loads(array.tobytes().decode("utf-8"))
        if not isinstance(state, dict) or state.get("format") != _ITERATOR_FORMAT:
            raise ValueError("not a learnet iterator's state")
        consumed, cardinality, draws = state["consumed"], state["cardinality"], state["draws"]
        if not isinstance(consumed, int) or consumed < 0 or not (cardinality is None or isinstance(cardinality, int)):
            raise ValueError("a malformed position")
        if not isinstance(draws, list):
            raise ValueError("malformed random states")
        for draw in [state["source"], *draws]:
            numpy.random.Generator(numpy.random.PCG64()).bit_generator.state = draw  # a state NumPy accepts
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as error:
        raise errors.DataLossError(None, None, f"restoring an iterator: its saved state is damaged ({error})") from None
    return state


class NumpyIterator:
    """An iterator over a dataset's elements as NumPy arrays: what ``as_numpy_iterator()`` gives.

    Examples
    --------
    >>> import learnet as tf
    >>> it = tf.data.Dataset.range(2).as_numpy_iterator()
    >>> int(it.next()), int(next(it))
    (0, 1)
    """

    def __init__(self, dataset):
        self._iterator = OwnedIterator(dataset)

    # A checkpoint stores its position as the OwnedIterator's, under TensorFlow's name for it.
    def _checkpoint_children(self):
        return []

    def _serialize_to_tensors(self):
        return {"_STATE": self._iterator._state_array()}

    def _check_restore(self, tensors):
        self._iterator._prepare(_saved_state(tensors))

    def _restore_from_tensors(self, tensors):
        self._iterator._go_to(_saved_state(tensors))

    def __iter__(self):
        return self

    def __next__(self):
        # A sparse element comes out as its dense array, as TensorFlow 2's as_numpy_iterator gives it.
        return map_structure(
            lambda v: _sparse_to_dense(v).numpy() if isinstance(v, SparseTensor) else v,
            self._iterator._next_element(),
        )

    def next(self):
        """The next element (``StopIteration`` past the end); ``val_ds.as_numpy_iterator().next()``."""
        return self.__next__()

    def __repr__(self):
        return f"NumpyIterator(iterator={object.__repr__(self._iterator)})"


class Optional:
    """A value that may be absent (``tf.experimental.Optional``), from ``get_next_as_optional()``.

    Examples
    --------
    >>> import learnet as tf
    >>> value = Optional.from_value(tf.constant(3))
    >>> bool(value.has_value()), int(value.get_value())
    (True, 3)
    """

    def __init__(self, value, has_value, element_spec):
        self._value = value
        self._has_value = has_value
        self._element_spec = element_spec

    @staticmethod
    def from_value(value, element_spec=None):
        """An ``Optional`` that holds ``value`` (a tensor or a structure of them)."""
        value = _to_tensors(value)
        if element_spec is None:
            element_spec = map_structure(TensorSpec.from_tensor, value)
        return Optional(value, True, element_spec)

    @staticmethod
    def empty(element_spec):
        """An ``Optional`` with no value, for elements like ``element_spec``."""
        return Optional(None, False, element_spec)

    @property
    def element_spec(self):
        """The structure of ``tf.TensorSpec`` of the value (held or not)."""
        return self._element_spec

    def has_value(self, name=None):
        """Whether a value is held, as a scalar bool tensor."""
        return Tensor._wrap(numpy.asarray(self._has_value))

    def get_value(self, name=None):
        """The value; an empty ``Optional`` raises ``tf.errors.InvalidArgumentError``."""
        if not self._has_value:
            raise errors.InvalidArgumentError(None, None, "The given optional does not have a value.")
        return self._value

    def __repr__(self):
        return f"<learnet.data.Optional has_value={self._has_value}>"


class Options:
    """``tf.data.Options``: settings a pipeline carries (``dataset.with_options(options)``).

    learnet reads data in the training process, so the settings change nothing here; they
    are kept as set, and ``experimental_distribute.auto_shard_policy`` and the others
    tutorials assign are accepted.
    """

    def __init__(self):
        self.deterministic = None
        self.experimental_optimization = types.SimpleNamespace()
        self.experimental_distribute = types.SimpleNamespace(auto_shard_policy=AutoShardPolicy.AUTO)
        self.experimental_threading = types.SimpleNamespace()
        self.threading = types.SimpleNamespace(private_threadpool_size=None, max_intra_op_parallelism=None)
        self.autotune = types.SimpleNamespace(enabled=True)


class AutoShardPolicy(enum.IntEnum):
    """How a distributed pipeline splits its data among workers (``tf.data.experimental.AutoShardPolicy``)."""

    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class ExternalStatePolicy(enum.IntEnum):
    """What saving a pipeline does with state outside it (``tf.data.experimental.ExternalStatePolicy``).

    Accepted for compatibility: learnet's iterators save their position and random state only.
    """

    WARN = 0
    IGNORE = 1
    FAIL = 2


# --- tf.data.experimental: transformations for dataset.apply(...) ---------------------------------
# TensorFlow 1 wrote pipeline steps as functions of a dataset, applied with `dataset.apply(...)`;
# TensorFlow 2 made most of them Dataset methods. Each one here hands over to its method.


def _transformation(method, *args, **kwargs):
    """``lambda dataset: dataset.<method>(*args, **kwargs)``, named after the method."""

    def apply(dataset):
        if not isinstance(dataset, Dataset):
            raise TypeError(f"tf.data.experimental.{method}: expected a Dataset, got {type(dataset).__name__}")
        return getattr(dataset, method)(*args, **kwargs)

    apply.__name__ = method
    return apply


def ignore_errors(log_warning=False):
    """A transformation that skips the elements whose computation raises an error.

    ``dataset.apply(tf.data.experimental.ignore_errors())`` is ``dataset.ignore_errors()``.

    Examples
    --------
    >>> import learnet as tf
    >>> ds = tf.data.Dataset.from_tensor_slices(["1", "x", "3"]).map(tf.strings.to_number)
    >>> [float(x) for x in ds.apply(tf.data.experimental.ignore_errors())]
    [1.0, 3.0]
    """
    return _transformation("ignore_errors", log_warning=log_warning)


def assert_cardinality(expected_cardinality):
    """A transformation checking the dataset has ``expected_cardinality`` elements (``Dataset.assert_cardinality``)."""
    return _transformation("assert_cardinality", expected_cardinality)


def bucket_by_sequence_length(
    element_length_func,
    bucket_boundaries,
    bucket_batch_sizes,
    padded_shapes=None,
    padding_values=None,
    pad_to_bucket_boundary=False,
    no_padding=False,
    drop_remainder=False,
):
    """A transformation batching sequences of similar length (``Dataset.bucket_by_sequence_length``)."""
    return _transformation(
        "bucket_by_sequence_length",
        element_length_func,
        bucket_boundaries,
        bucket_batch_sizes,
        padded_shapes=padded_shapes,
        padding_values=padding_values,
        pad_to_bucket_boundary=pad_to_bucket_boundary,
        no_padding=no_padding,
        drop_remainder=drop_remainder,
    )


def dense_to_ragged_batch(batch_size, drop_remainder=False, row_splits_dtype="int64"):
    """A transformation batching elements of different lengths into ``RaggedTensor``s (``Dataset.ragged_batch``).

    Examples
    --------
    >>> import learnet as tf
    >>> ds = tf.data.Dataset.range(1, 4).map(lambda n: tf.range(n))
    >>> [b.to_list() for b in ds.apply(tf.data.experimental.dense_to_ragged_batch(2))]
    [[[0], [0, 1]], [[0, 1, 2]]]
    """
    return _transformation("ragged_batch", batch_size, drop_remainder=drop_remainder, row_splits_dtype=row_splits_dtype)


def dense_to_sparse_batch(batch_size, row_shape):
    """A transformation batching elements of different lengths into ``SparseTensor``s (``Dataset.sparse_batch``)."""
    return _transformation("sparse_batch", batch_size, row_shape)


def enumerate_dataset(start=0):
    """A transformation pairing each element with its index: ``(index, element)`` (``Dataset.enumerate``)."""
    return _transformation("enumerate", start)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """A transformation grouping elements by key into windows (``Dataset.group_by_window``)."""
    return _transformation(
        "group_by_window", key_func, reduce_func, window_size=window_size, window_size_func=window_size_func
    )


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    """A transformation resampling elements to a class distribution (``Dataset.rejection_resample``)."""
    return _transformation("rejection_resample", class_func, target_dist, initial_dist=initial_dist, seed=seed)


def scan(initial_state, scan_func):
    """A transformation carrying a state along the elements (``Dataset.scan``)."""
    return _transformation("scan", initial_state, scan_func)


def take_while(predicate):
    """A transformation keeping the elements up to the first for which ``predicate`` is false."""
    return _transformation("take_while", predicate)


def unique():
    """A transformation keeping each distinct element once (``Dataset.unique``)."""
    return _transformation("unique")


def unbatch():
    """A transformation splitting each batch into its rows (``Dataset.unbatch``)."""
    return _transformation("unbatch")


def snapshot(path, compression="AUTO", reader_func=None, shard_func=None):
    """A transformation accepted for compatibility (``Dataset.snapshot``: learnet keeps elements in memory)."""
    return _transformation("snapshot", path, compression=compression, reader_func=reader_func, shard_func=shard_func)


def parallel_interleave(
    map_func, cycle_length, block_length=1, sloppy=False, buffer_output_elements=None, prefetch_input_elements=None
):
    """A transformation reading ``cycle_length`` datasets at once (``Dataset.interleave``; learnet
    reads them in the training process, in TensorFlow's deterministic order)."""
    return _transformation("interleave", map_func, cycle_length=cycle_length, block_length=block_length)


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """A transformation that shuffles and repeats: ``dataset.shuffle(buffer_size, seed).repeat(count)``.

    Each repetition is shuffled anew, as TensorFlow's.

    Examples
    --------
    >>> import learnet as tf
    >>> ds = tf.data.Dataset.range(3).apply(tf.data.experimental.shuffle_and_repeat(3, count=2, seed=0))
    >>> sorted(int(x) for x in ds)
    [0, 0, 1, 1, 2, 2]
    """

    def apply(dataset):
        return _transformation("shuffle", buffer_size, seed=seed)(dataset).repeat(count)

    return apply


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False, num_parallel_calls=None):
    """A transformation that maps, then batches: ``dataset.map(map_func).batch(batch_size, drop_remainder)``."""

    def apply(dataset):
        return _transformation("map", map_func)(dataset).batch(batch_size, drop_remainder=drop_remainder)

    return apply


def copy_to_device(target_device, source_device="/cpu:0"):
    """A transformation accepted for compatibility: learnet's pipelines stay in the training process."""
    return _transformation("prefetch", None)


def prefetch_to_device(device, buffer_size=None):
    """A transformation accepted for compatibility: learnet's pipelines stay in the training process."""
    return _transformation("prefetch", buffer_size)


class Reducer:
    """How ``group_by_reducer`` folds each group: ``init_func(key)`` starts a state,
    ``reduce_func(state, element)`` updates it, ``finalize_func(state)`` gives the output.

    Examples
    --------
    >>> import learnet as tf
    >>> reducer = tf.data.experimental.Reducer(lambda key: 0, lambda total, x: total + x, lambda total: total)
    >>> grouped = tf.data.Dataset.range(10).apply(tf.data.experimental.group_by_reducer(lambda x: x % 3, reducer))
    >>> [int(x) for x in grouped]
    [18, 12, 15]
    """

    def __init__(self, init_func, reduce_func, finalize_func):
        for name, func in (("init_func", init_func), ("reduce_func", reduce_func), ("finalize_func", finalize_func)):
            if not callable(func):
                raise TypeError(f"Reducer: {name} must be a function, got {type(func).__name__}")
        self.init_func = init_func
        self.reduce_func = reduce_func
        self.finalize_func = finalize_func


def group_by_reducer(key_func, reducer):
    """A transformation folding the elements of each key (an int64 ``key_func(element)``) with
    ``reducer``; one output per key, in the order the keys first appear."""
    if not isinstance(reducer, Reducer):
        raise TypeError(f"group_by_reducer: reducer must be a tf.data.experimental.Reducer, got {reducer!r}")

    def apply(dataset):
        if not isinstance(dataset, Dataset):
            raise TypeError(f"group_by_reducer: expected a Dataset, got {type(dataset).__name__}")

        def as_tensors(value):
            return _to_tensors(map_structure(_as_array, value))

        def make():
            states = {}  # key -> state, in the order keys first appear
            for element in dataset._make_iterator():
                key = int(numpy.asarray(_call(key_func, element)))
                if key not in states:
                    states[key] = as_tensors(reducer.init_func(Tensor._wrap(numpy.int64(key))))
                states[key] = as_tensors(reducer.reduce_func(states[key], _to_tensors(element)))
            for state in states.values():
                yield map_structure(_as_array, reducer.finalize_func(state))

        return Dataset(make, None)

    return apply


# --- tf.data.experimental: functions of a dataset or an iterator ----------------------------------


def get_single_element(dataset):
    """The one element of ``dataset`` (``Dataset.get_single_element``)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"get_single_element: expected a Dataset, got {type(dataset).__name__}")
    return dataset.get_single_element()


def get_next_as_optional(iterator):
    """The next element of ``iterator`` in an ``Optional`` (``iterator.get_next_as_optional()``)."""
    if not isinstance(iterator, OwnedIterator):
        raise TypeError(f"get_next_as_optional: expected an iterator of a Dataset, got {type(iterator).__name__}")
    return iterator.get_next_as_optional()


def get_structure(dataset_or_iterator):
    """The ``element_spec`` of a dataset or of a dataset's iterator."""
    if not isinstance(dataset_or_iterator, (Dataset, OwnedIterator)):
        raise TypeError(f"get_structure: expected a Dataset or its iterator, got {type(dataset_or_iterator).__name__}")
    return dataset_or_iterator.element_spec


def at(dataset, index):
    """Element ``index`` of ``dataset`` (read from the start); ``tf.errors.OutOfRangeError`` past its end.

    Examples
    --------
    >>> import learnet as tf
    >>> int(tf.data.experimental.at(tf.data.Dataset.range(10, 20), 3))
    13
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"at: expected a Dataset, got {type(dataset).__name__}")
    index = int(index)
    if index < 0:
        raise errors.InvalidArgumentError(None, None, f"at: index must be non-negative, got {index}")
    for position, element in enumerate(dataset._make_iterator()):
        if position == index:
            return _to_tensors(element)
    raise errors.OutOfRangeError(None, None, f"at: index {index} is past the end of the dataset")


def from_list(elements, name=None):
    """A dataset whose elements are the items of the list ``elements`` (each a tensor or a
    structure of them, all of the same structure).

    Examples
    --------
    >>> import learnet as tf
    >>> [(int(a), b.numpy()) for a, b in tf.data.experimental.from_list([(1, "a"), (2, "b")])]
    [(1, b'a'), (2, b'b')]
    """
    if not isinstance(elements, (list, tuple)) or not elements:
        raise ValueError(f"from_list: elements must be a non-empty list, got {elements!r}")
    converted = [map_structure(_as_array, _lists_as_tensors(element)) for element in elements]
    return Dataset(lambda: iter(converted), len(converted), lambda: map_structure(_value_spec, converted[0]))


def parse_example_dataset(features, num_parallel_calls=1, deterministic=None):
    """A transformation parsing batches of serialized ``tf.train.Example``s (``tf.io.parse_example``)."""
    from learnet.example_parsing import parse_example

    return _transformation("map", lambda serialized: parse_example(serialized, features))


def enable_debug_mode():
    """Accepted for compatibility: learnet's pipelines already run eagerly, in order."""


class TFRecordWriter:
    """Write a dataset of scalar strings to a TFRecord file: ``TFRecordWriter(path).write(dataset)``."""

    def __init__(self, filename, compression_type=None):
        self._filename = filename
        self._compression_type = compression_type

    def write(self, dataset):
        """Write every element of ``dataset`` (scalar strings) as one record."""
        from learnet.tfrecord import TFRecordWriter as RecordWriter

        if not isinstance(dataset, Dataset):
            raise TypeError(f"TFRecordWriter.write expects a Dataset, got {type(dataset).__name__}")
        with RecordWriter(self._filename, options=self._compression_type) as writer:
            for element in dataset._make_iterator():
                writer.write(numpy.asarray(element).item())


# Older TensorFlow code reaches these through `tf.data.experimental`.
experimental = types.SimpleNamespace(
    AUTOTUNE=AUTOTUNE,
    CsvDataset=CsvDataset,
    make_csv_dataset=make_csv_dataset,
    Counter=Dataset.counter,
    RandomDataset=Dataset.random,
    AutoShardPolicy=AutoShardPolicy,
    ExternalStatePolicy=ExternalStatePolicy,
    Optional=Optional,
    Reducer=Reducer,
    TFRecordWriter=TFRecordWriter,
    sample_from_datasets=Dataset.sample_from_datasets,
    choose_from_datasets=Dataset.choose_from_datasets,
    cardinality=lambda dataset: dataset.cardinality(),
    save=lambda dataset, path, compression=None, shard_func=None, checkpoint_args=None: dataset.save(
        path, compression, shard_func, checkpoint_args
    ),
    load=Dataset.load,
    UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY,
    INFINITE_CARDINALITY=INFINITE_CARDINALITY,
    SHARD_HINT=-1,
    assert_cardinality=assert_cardinality,
    at=at,
    bucket_by_sequence_length=bucket_by_sequence_length,
    copy_to_device=copy_to_device,
    dense_to_ragged_batch=dense_to_ragged_batch,
    dense_to_sparse_batch=dense_to_sparse_batch,
    enable_debug_mode=enable_debug_mode,
    enumerate_dataset=enumerate_dataset,
    from_list=from_list,
    get_next_as_optional=get_next_as_optional,
    get_single_element=get_single_element,
    get_structure=get_structure,
    group_by_reducer=group_by_reducer,
    group_by_window=group_by_window,
    ignore_errors=ignore_errors,
    map_and_batch=map_and_batch,
    parallel_interleave=parallel_interleave,
    parse_example_dataset=parse_example_dataset,
    prefetch_to_device=prefetch_to_device,
    rejection_resample=rejection_resample,
    scan=scan,
    shuffle_and_repeat=shuffle_and_repeat,
    snapshot=snapshot,
    take_while=take_while,
    unbatch=unbatch,
    unique=unique,
)


def local_files(filenames, who):
    """``filenames`` (a name, a list, or a string tensor of them) as a list of existing paths."""
    if isinstance(filenames, Tensor):
        filenames = numpy.asarray(filenames.numpy()).tolist()  # one name (bytes) or a list of them
    names = [filenames] if isinstance(filenames, (str, bytes, os.PathLike)) else list(filenames)
    names = [os.fsdecode(n) for n in names]
    for path in names:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{who}: no file {path!r}")
    return names


def TextLineDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):  # noqa: N802 - TF's name
    """The lines of text files, one string tensor per line, without their line endings.

    Examples
    --------
    >>> import learnet as tf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "lines.txt")
    >>> _ = open(path, "w").write("first\\nsecond\\n")
    >>> [line.numpy() for line in tf.data.TextLineDataset(path)]
    [b'first', b'second']
    """
    if compression_type not in (None, ""):
        raise ValueError(f"TextLineDataset: compressed files ({compression_type}) are not supported")
    names = local_files(filenames, "TextLineDataset")

    def lines():
        for path in names:
            with open(path, "rb") as stream:
                for line in stream:
                    yield numpy.array(line.rstrip(b"\r\n"), dtype=object)

    return Dataset(lines, None, lambda: TensorSpec((), numpy.object_))
