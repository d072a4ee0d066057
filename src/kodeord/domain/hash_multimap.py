"""A compact multimap from strings to small integer ids, for indexes of millions of keys.

A Python dict of lists costs about 100 bytes a key; a keyword index at 1,000,000
keywords has some 50 million keys (see `registry_index`). This table stores them in
one `array('I')` of 4 bytes a slot, open addressing with linear probing:

- a slot holds an 8-bit fingerprint of the key's hash and the id + 1 (24 bits), or 0
  (empty) or `_TOMBSTONE` (a removed entry, skipped by lookups, reused on rebuild);
- the key itself is NOT stored: `get` returns every id whose slot matched the
  fingerprint along the probe run, so it may return an id that was added under another
  key (about 1 in 256 probed slots). Callers check the candidates they get back;
- a key may map to many ids and an id to many keys; adding the same (key, id) twice
  stores it twice, and `remove` takes one of them away.

It never grows by itself: the size is fixed at construction (a power of two at least
twice the expected entries), and `needs_rebuild` tells the owner when live entries and
tombstones pass half the slots, so the owner can rebuild from its own records (the keys
are not stored, so only the owner can). Hashes are Python's own `hash(str)`: stable
within one process, which is all an in-memory index needs.
"""

from __future__ import annotations

from array import array

MAX_ID = (1 << 24) - 3  # id + 1 must fit 24 bits and differ from the tombstone's
_ID_BITS = 24
_ID_MASK = (1 << _ID_BITS) - 1
_TOMBSTONE = 0xFFFFFFFF
_FINGERPRINT_SHIFT = 48  # far above the bits that choose the slot
_MIN_SLOTS = 64


def slots_for(entries: int) -> int:
    """The table size (a power of two) that keeps `entries` under half full."""
    slots = _MIN_SLOTS
    while slots < 2 * entries:
        slots *= 2
    return slots


class StringIdMultimap:
    """Strings to ids (0 ≤ id ≤ MAX_ID), 4 bytes a slot; `get` may give extra ids."""

    __slots__ = ("_dead", "_live", "_mask", "_slots")

    def __init__(self, expected_entries: int = 0) -> None:
        size = slots_for(expected_entries)
        self._slots = array("I", bytes(4 * size))
        self._mask = size - 1
        self._live = 0
        self._dead = 0

    def __len__(self) -> int:
        return self._live

    @property
    def size(self) -> int:
        return self._mask + 1

    @property
    def nbytes(self) -> int:
        return self._slots.itemsize * len(self._slots)

    def needs_rebuild(self, more: int = 0) -> bool:
        """True when `more` new entries would fill more than half of the slots."""
        return 2 * (self._live + self._dead + more) > self.size

    def add(self, key: str, ident: int) -> None:
        if not 0 <= ident <= MAX_ID:
            raise ValueError(f"id {ident} out of range 0..{MAX_ID}")
        h = hash(key)
        mask, slots = self._mask, self._slots
        i = h & mask
        while slots[i] and slots[i] != _TOMBSTONE:
            i = (i + 1) & mask
        if slots[i] == _TOMBSTONE:
            self._dead -= 1
        slots[i] = ((h >> _FINGERPRINT_SHIFT) & 0xFF) << _ID_BITS | (ident + 1)
        self._live += 1

    def add_all(self, keys: set[str], ident: int) -> None:
        """`add(key, ident)` for every key (the owner's bulk path)."""
        if not 0 <= ident <= MAX_ID:
            raise ValueError(f"id {ident} out of range 0..{MAX_ID}")
        mask, slots, stored = self._mask, self._slots, ident + 1
        for key in keys:
            h = hash(key)
            i = h & mask
            while slots[i]:
                i = (i + 1) & mask
            slots[i] = ((h >> _FINGERPRINT_SHIFT) & 0xFF) << _ID_BITS | stored
        self._live += len(keys)

    def remove(self, key: str, ident: int) -> bool:
        """Take one (key, ident) entry away; False when there was none."""
        h = hash(key)
        mask, slots = self._mask, self._slots
        wanted = ((h >> _FINGERPRINT_SHIFT) & 0xFF) << _ID_BITS | (ident + 1)
        i = h & mask
        while slots[i]:
            if slots[i] == wanted:
                slots[i] = _TOMBSTONE
                self._live -= 1
                self._dead += 1
                return True
            i = (i + 1) & mask
        return False

    def get(self, key: str) -> list[int]:
        """The ids stored under `key`, plus now and then one stored under another key."""
        h = hash(key)
        mask, slots = self._mask, self._slots
        fingerprint = (h >> _FINGERPRINT_SHIFT) & 0xFF
        found: list[int] = []
        i = h & mask
        slot = slots[i]
        while slot:
            if slot >> _ID_BITS == fingerprint and slot != _TOMBSTONE:
                found.append((slot & _ID_MASK) - 1)
            i = (i + 1) & mask
            slot = slots[i]
        return found

    def update_into(self, keys: set[str], found: set[int]) -> None:
        """Add to `found` the ids of every key in `keys` (one call instead of many `get`)."""
        mask, slots = self._mask, self._slots
        for key in keys:
            h = hash(key)
            fingerprint = (h >> _FINGERPRINT_SHIFT) & 0xFF
            i = h & mask
            slot = slots[i]
            while slot:
                if slot >> _ID_BITS == fingerprint and slot != _TOMBSTONE:
                    found.add((slot & _ID_MASK) - 1)
                i = (i + 1) & mask
                slot = slots[i]
