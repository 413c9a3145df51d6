"""FarmHash ``Fingerprint64``, written out in plain Python.

Google's FarmHash (https://github.com/google/farmhash) ``Fingerprint64`` is
``farmhashna::Hash64``: a fast, non-cryptographic 64-bit hash of a byte string
whose value never changes across platforms and versions. TensorFlow's
``tf.strings.to_hash_bucket_fast`` (and so Keras' ``Hashing``, ``HashedCrossing``
and the several OOV indices of ``StringLookup``) puts a string in bucket
``fingerprint64(string) % num_buckets``.

Every step below follows the C++ source line by line. C++ ``uint64_t``
arithmetic wraps around at 2**64, so each product and sum is masked with
``_MASK``; bytes are read little-endian, as FarmHash's ``Fetch`` does on x86.

Examples
--------
>>> from learnet.layers.farmhash import fingerprint64
>>> fingerprint64(b"")
11160318154034397263
>>> fingerprint64("hello") % 3  # str is encoded as UTF-8 first
1
"""

import struct

_MASK = (1 << 64) - 1  # uint64_t arithmetic wraps modulo 2**64

# Three odd 64-bit constants from CityHash (FarmHash's parent), chosen by its
# authors as "random-looking" primes with many bits set.
K0 = 0xC3A5C85C97CB3127
K1 = 0xB492B66FBE98F273
K2 = 0x9AE16A3B2F90404F

# The multiplier of CityHash's Hash128to64 (a Murmur-inspired mix of two words),
# used where HashLen16 is called without its own multiplier.
K_MUL = 0x9DDFEA08EB382D69

# The seed of Hash64 for strings longer than 64 bytes.
SEED = 81


def _fetch64(data, offset):
    """The 8 bytes at ``offset`` as a little-endian uint64."""
    return struct.unpack_from("<Q", data, offset)[0]


def _fetch32(data, offset):
    """The 4 bytes at ``offset`` as a little-endian uint32."""
    return struct.unpack_from("<I", data, offset)[0]


def _rotate(value, shift):
    """Rotate a uint64 right by ``shift`` bits (0 < shift < 64)."""
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _hash_len16(u, v, mul=K_MUL):
    """Mix two words into one (CityHash's ``HashLen16``)."""
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len_0_to_16(data):
    length = len(data)
    if length >= 8:
        mul = K2 + length * 2
        a = (_fetch64(data, 0) + K2) & _MASK
        b = _fetch64(data, length - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if length >= 4:
        mul = K2 + length * 2
        a = _fetch32(data, 0)
        return _hash_len16(length + (a << 3), _fetch32(data, length - 4), mul)
    if length > 0:
        # First, middle and last byte (the same byte when there is only one).
        a, b, c = data[0], data[length >> 1], data[length - 1]
        y = a + (b << 8)
        z = length + (c << 2)
        return (_shift_mix(((y * K2) ^ (z * K0)) & _MASK) * K2) & _MASK
    return K2


def _hash_len_17_to_32(data):
    length = len(data)
    mul = K2 + length * 2
    a = (_fetch64(data, 0) * K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * K2) & _MASK
    return _hash_len16(
        (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
        (a + _rotate((b + K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _hash_len_33_to_64(data):
    length = len(data)
    mul = K2 + length * 2
    a = (_fetch64(data, 0) * K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash_len16(y, (a + _rotate((b + K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, length - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, length - 24)) * mul) & _MASK
    return _hash_len16(
        (_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
        (e + _rotate((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak_hash_len32_with_seeds(data, offset, a, b):
    """A quick 16-byte hash of the 32 bytes at ``offset`` and two seeds ``a``, ``b``."""
    w, x, y, z = struct.unpack_from("<4Q", data, offset)
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def _hash_long(data):
    """Strings over 64 bytes: 64-byte chunks through a 56-byte state (v, w, x, y, z)."""
    length = len(data)
    x = SEED
    y = (SEED * K1 + 113) & _MASK
    z = (_shift_mix((y * K2 + 113) & _MASK) * K2) & _MASK
    v0 = v1 = w0 = w1 = 0
    x = (x * K2 + _fetch64(data, 0)) & _MASK

    # Every whole chunk but the last; then the last 64 bytes (overlapping the
    # previous chunk when the length is not a multiple of 64).
    end = ((length - 1) // 64) * 64
    last64 = length - 64
    s = 0
    while s != end:
        x = (_rotate((x + y + v0 + _fetch64(data, s + 8)) & _MASK, 37) * K1) & _MASK
        y = (_rotate((y + v1 + _fetch64(data, s + 48)) & _MASK, 42) * K1) & _MASK
        x ^= w1
        y = (y + v0 + _fetch64(data, s + 40)) & _MASK
        z = (_rotate((z + w0) & _MASK, 33) * K1) & _MASK
        v0, v1 = _weak_hash_len32_with_seeds(data, s, (v1 * K1) & _MASK, (x + w0) & _MASK)
        w0, w1 = _weak_hash_len32_with_seeds(data, s + 32, (z + w1) & _MASK, (y + _fetch64(data, s + 16)) & _MASK)
        z, x = x, z
        s += 64

    mul = K1 + ((z & 0xFF) << 1)
    s = last64
    w0 = (w0 + ((length - 1) & 63)) & _MASK
    v0 = (v0 + w0) & _MASK
    w0 = (w0 + v0) & _MASK
    x = (_rotate((x + y + v0 + _fetch64(data, s + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v1 + _fetch64(data, s + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w1 * 9) & _MASK
    y = (y + v0 * 9 + _fetch64(data, s + 40)) & _MASK
    z = (_rotate((z + w0) & _MASK, 33) * mul) & _MASK
    v0, v1 = _weak_hash_len32_with_seeds(data, s, (v1 * mul) & _MASK, (x + w0) & _MASK)
    w0, w1 = _weak_hash_len32_with_seeds(data, s + 32, (z + w1) & _MASK, (y + _fetch64(data, s + 16)) & _MASK)
    z, x = x, z
    return _hash_len16(
        (_hash_len16(v0, w0, mul) + _shift_mix(y) * K0 + z) & _MASK,
        (_hash_len16(v1, w1, mul) + x) & _MASK,
        mul,
    )


def fingerprint64(data):
    """FarmHash ``Fingerprint64`` of ``data`` (bytes, or a str encoded as UTF-8): an int in ``[0, 2**64)``.

    Examples
    --------
    >>> fingerprint64(b"A") % 3  # Keras' Hashing(num_bins=3) puts "A" in bin 1
    1
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = bytes(data)
    length = len(data)
    if length <= 16:
        return _hash_len_0_to_16(data)
    if length <= 32:
        return _hash_len_17_to_32(data)
    if length <= 64:
        return _hash_len_33_to_64(data)
    return _hash_long(data)


def fingerprint_cat64(first, second):
    """Combine two fingerprints into one (TensorFlow's ``FingerprintCat64``), order-dependent.

    ``tf.sparse.cross_hashed`` (Keras' ``HashedCrossing``) folds the features of a
    cross into one value with it, starting from a fixed key.
    """
    mul = 0xC6A4A7935BD1E995  # MurmurHash2's 64-bit multiplier
    result = first ^ mul
    result ^= (_shift_mix((second * mul) & _MASK) * mul) & _MASK
    result = (result * mul) & _MASK
    result = (_shift_mix(result) * mul) & _MASK
    return _shift_mix(result)
