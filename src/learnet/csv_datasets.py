"""CSV files as datasets: ``tf.data.experimental.CsvDataset`` and ``make_csv_dataset``.

``CsvDataset`` gives one tuple of scalars per line, typed by ``record_defaults`` as
``tf.io.decode_csv`` types them. ``make_csv_dataset`` is the one-call version TensorFlow's
guides use: column names from the header, types guessed from the first rows, and batches of
``(OrderedDict of columns, labels)``, shuffled and repeated (forever by default, as
TensorFlow does: take a number of batches, or pass ``num_epochs``).

Examples
--------
>>> import learnet as tf, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "rows.csv")
>>> _ = open(path, "w").write("survived,age,sex\\n1,22.0,male\\n0,38.5,female\\n")
>>> features, labels = next(iter(tf.data.experimental.make_csv_dataset(
...     path, batch_size=2, label_name="survived", num_epochs=1, shuffle=False)))
>>> list(features), features["age"].numpy().tolist(), labels.numpy().tolist()
(['age', 'sex'], [22.0, 38.5], [1, 0])
"""

import collections
import csv
import gzip
import os
import zlib

import numpy

from learnet.control import TensorSpec
from learnet.tensor import convert_to_tensor

__all__ = ["CsvDataset", "make_csv_dataset"]


def _lines(path, compression_type, header):
    """The text lines of one file, without line endings and (with ``header``) without its first line."""
    with open(path, "rb") as stream:
        data = stream.read()
    if compression_type == "GZIP":
        data = gzip.decompress(data)
    elif compression_type == "ZLIB":
        data = zlib.decompress(data)
    elif compression_type not in (None, ""):
        raise ValueError(f"compression_type must be '', 'GZIP' or 'ZLIB', got {compression_type!r}")
    lines = data.decode("utf-8").splitlines()
    return [line for line in lines[1 if header else 0 :] if line.strip()]


def CsvDataset(  # noqa: N802 - TensorFlow's name
    filenames,
    record_defaults,
    compression_type=None,
    buffer_size=None,
    header=False,
    field_delim=",",
    use_quote_delim=True,
    na_value="",
    select_cols=None,
    exclude_cols=None,
    name=None,
):
    """One tuple of scalar tensors per CSV line, typed by ``record_defaults`` (see ``tf.io.decode_csv``)."""
    from learnet.data import Dataset, local_files
    from learnet.io import decode_csv

    if select_cols is not None and exclude_cols is not None:
        raise ValueError("CsvDataset: give select_cols or exclude_cols, not both")
    names = local_files(filenames, "CsvDataset")
    kinds = [
        numpy.dtype(d) if isinstance(d, (type, numpy.dtype)) else numpy.asarray(convert_to_tensor(d).numpy()).dtype
        for d in record_defaults
    ]

    def make():
        for path in names:
            for line in _lines(path, compression_type, header):
                columns = select_cols
                if exclude_cols is not None:
                    count = len(next(csv.reader([line], delimiter=field_delim)))
                    columns = [c for c in range(count) if c not in set(exclude_cols)]
                values = decode_csv(line, record_defaults, field_delim, use_quote_delim, na_value, columns)
                yield tuple(numpy.asarray(v.numpy(), dtype=object if v.dtype == object else None) for v in values)

    return Dataset(make, None, lambda: tuple(TensorSpec((), k) for k in kinds))


def _guess_type(values):
    """int32, float32 or string for a column, from its first rows (empty fields say nothing)."""
    seen = [v for v in values if v != ""]
    try:
        for v in seen:
            int(v)
        return numpy.dtype("int32") if seen else numpy.dtype("float32")
    except ValueError:
        pass
    try:
        for v in seen:
            float(v)
        return numpy.dtype("float32")
    except ValueError:
        return numpy.dtype(object)


def make_csv_dataset(
    file_pattern,
    batch_size,
    column_names=None,
    column_defaults=None,
    label_name=None,
    select_columns=None,
    field_delim=",",
    use_quote_delim=True,
    na_value="",
    header=True,
    num_epochs=None,
    shuffle=True,
    shuffle_buffer_size=10000,
    shuffle_seed=None,
    prefetch_buffer_size=None,
    num_parallel_reads=None,
    sloppy=False,
    num_rows_for_inference=100,
    compression_type=None,
    ignore_errors=False,
    encoding="utf-8",
):
    """Batches of ``(OrderedDict of columns, labels)`` (or of the columns alone) from CSV files.

    Column names come from the header (or ``column_names``), types from ``column_defaults``
    or from the first ``num_rows_for_inference`` rows (int32, float32 or string).
    """
    from learnet.data import Dataset

    names = [os.fsdecode(name) for name in Dataset.list_files(file_pattern, shuffle=False).as_numpy_iterator()]
    rows_of = {}

    def rows(path):
        if path not in rows_of:
            lines = _lines(path, compression_type, header=False)
            parsed = list(
                csv.reader(
                    lines, delimiter=field_delim, quoting=csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE
                )
            )
            rows_of[path] = parsed
        return rows_of[path]

    first = rows(names[0])
    columns = list(column_names) if column_names is not None else (first[0] if header and first else None)
    if columns is None:
        raise ValueError("make_csv_dataset: without a header, give column_names")
    body = [r for path in names for r in rows(path)[1 if header else 0 :]]
    if any(len(r) != len(columns) for r in body) and not ignore_errors:
        bad = next(r for r in body if len(r) != len(columns))
        raise ValueError(f"make_csv_dataset: a row has {len(bad)} fields for {len(columns)} columns: {bad}")
    body = [r for r in body if len(r) == len(columns)]
    keep = list(range(len(columns)))
    if select_columns is not None:
        keep = [c if isinstance(c, int) else columns.index(c) for c in select_columns]
    if label_name is not None and label_name not in [columns[c] for c in keep]:
        raise ValueError(
            f"make_csv_dataset: label_name {label_name!r} is not among the columns {[columns[c] for c in keep]}"
        )
    if column_defaults is not None:
        if len(column_defaults) != len(keep):
            raise ValueError(f"make_csv_dataset: {len(column_defaults)} column_defaults for {len(keep)} columns")
        kinds = [numpy.asarray(convert_to_tensor(d).numpy()).dtype for d in column_defaults]
        kinds = [numpy.dtype(object) if k.kind in "OSU" else k for k in kinds]
    else:
        sample = body[:num_rows_for_inference]
        kinds = [_guess_type([r[c] for r in sample]) for c in keep]
    table = collections.OrderedDict()
    for c, kind in zip(keep, kinds):
        raw = [r[c] for r in body]
        if kind.kind == "O":
            table[columns[c]] = numpy.array([v.encode(encoding) for v in raw], dtype=object)
        else:
            table[columns[c]] = numpy.array([kind.type(v) if v not in ("", na_value) else 0 for v in raw], dtype=kind)
    labels = table.pop(label_name) if label_name is not None else None
    dataset = Dataset.from_tensor_slices((dict(table), labels) if labels is not None else dict(table))
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    dataset = dataset.repeat(num_epochs).batch(batch_size)

    def ordered(*element):
        features = element[0] if labels is not None else element[0] if len(element) == 1 else element
        features = collections.OrderedDict((k, features[k]) for k in table)
        return (features, element[1]) if labels is not None else features

    return dataset.map(ordered)
