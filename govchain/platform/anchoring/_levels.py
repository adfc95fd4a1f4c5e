"""Merkle node hashes of one log, kept in one append-only file per tree level.

Level 0 holds the leaf hashes; node ``j`` of level ``k`` is the RFC 9162 hash of the
perfect subtree over leaves ``[j * 2**k, (j + 1) * 2**k)``. Every node of every tree size
is either such a perfect node or is built from O(log n) of them, so roots, audit paths and
consistency proofs for any anchored size take O(log n) reads, never a pass over the log.

The files are a derived cache of the log in SQLite: ``recover`` trims torn records and
recomputes missing parents after a crash.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Sequence
from pathlib import Path

from govchain.platform.anchoring.merkle import node_hash

HASH = 32
_EMPTY_ROOT = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class TreeLevels:
    """The node files of one namespace's log."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._counts: list[int] = []
        self._maps: dict[int, mmap.mmap] = {}
        level = 0
        while (path := self._path(level)).exists():
            self._counts.append(path.stat().st_size // HASH)
            level += 1

    def _path(self, level: int) -> Path:
        return self.directory / f"level-{level:02d}.bin"

    @property
    def size(self) -> int:
        """How many leaves are stored."""
        return self._counts[0] if self._counts else 0

    def _count(self, level: int) -> int:
        return self._counts[level] if level < len(self._counts) else 0

    def node(self, level: int, index: int) -> bytes:
        """Node ``index`` of ``level`` (a perfect subtree's hash)."""
        view = self._maps.get(level)
        if view is None or len(view) < (index + 1) * HASH:
            view = self._remap(level, index)
        offset = index * HASH
        return view[offset : offset + HASH]

    def _remap(self, level: int, index: int) -> mmap.mmap:
        if index >= self._count(level):
            raise IndexError(f"no node {index} on level {level}")
        old = self._maps.pop(level, None)
        if old is not None:
            old.close()
        with self._path(level).open("rb") as handle:
            view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._maps[level] = view
        return view

    def append(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append leaves and every parent they complete."""
        new = list(leaf_hashes)
        level = 0
        while new:
            start = self._count(level)
            pending = new
            if start % 2:
                pending = [self.node(level, start - 1), *new]
            self._write(level, new)
            new = [node_hash(pending[i], pending[i + 1]) for i in range(0, len(pending) - 1, 2)]
            level += 1

    def _write(self, level: int, nodes: Sequence[bytes]) -> None:
        with self._path(level).open("ab") as handle:
            handle.write(b"".join(nodes))
        while len(self._counts) <= level:
            self._counts.append(0)
        self._counts[level] += len(nodes)

    def sync(self) -> None:
        """Flush every level file to disk."""
        for level in range(len(self._counts)):
            fd = os.open(self._path(level), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def range_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``, where ``start`` is aligned as RFC 9162 splits are."""
        length = end - start
        if length <= 0:
            return _EMPTY_ROOT
        if length & (length - 1) == 0 and start % length == 0:
            return self.node(length.bit_length() - 1, start // length)
        # The right edge: perfect subtrees of decreasing size, combined right to left.
        parts = []
        while length:
            k = length if length & (length - 1) == 0 else _split(length)
            parts.append(self.node(k.bit_length() - 1, start // k))
            start += k
            length -= k
        acc = parts[-1]
        for part in reversed(parts[:-1]):
            acc = node_hash(part, acc)
        return acc

    def root(self, size: int) -> bytes:
        """The root of the tree over the first ``size`` leaves."""
        self._check_size(size)
        return self.range_hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The RFC 9162 audit path of leaf ``index`` in the tree of ``size`` leaves."""
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        start, end = 0, size
        range_hash, node = self.range_hash, self.node
        while end - start > 1:
            length = end - start
            k = 1 << ((length - 1).bit_length() - 1)
            if index < start + k:
                # the right sibling: perfect if it spans a power of two, else the right edge
                right = length - k
                if right & (right - 1) == 0:
                    path.append(node(right.bit_length() - 1, (start + k) // right))
                else:
                    path.append(range_hash(start + k, end))
                end = start + k
            else:
                path.append(node(k.bit_length() - 1, start // k))  # left siblings are perfect
                start += k
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof from ``old_size`` to ``new_size`` leaves."""
        self._check_size(new_size)
        if not 0 < old_size <= new_size:
            raise ValueError(f"old size {old_size} must be between 1 and {new_size}")
        proof: list[bytes] = []
        start, end, m, whole = 0, new_size, old_size, True
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                proof.append(self.range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self.range_hash(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            proof.append(self.range_hash(start, end))
        proof.reverse()
        return proof

    def _check_size(self, size: int) -> None:
        if size > self.size:
            raise ValueError(f"the log holds {self.size} leaves, not {size}")

    def truncate(self, size: int) -> None:
        """Drop leaves beyond ``size`` and the parents built on them."""
        self.close()
        level, count = 0, size
        while level < len(self._counts):
            with self._path(level).open("r+b") as handle:
                handle.truncate(count * HASH)
            self._counts[level] = count
            level, count = level + 1, count // 2

    def recover(self) -> None:
        """Make the files consistent after a crash: whole records, and every parent built."""
        self.close()
        for level in range(len(self._counts)):
            path = self._path(level)
            records = path.stat().st_size // HASH
            with path.open("r+b") as handle:
                handle.truncate(records * HASH)
            self._counts[level] = records
        for level in range(1, len(self._counts)):
            expected = self._counts[level - 1] // 2
            if self._counts[level] > expected:
                with self._path(level).open("r+b") as handle:
                    handle.truncate(expected * HASH)
                self._counts[level] = expected
        for level in range(len(self._counts) - 1):
            have, expected = self._count(level + 1), self._counts[level] // 2
            if have < expected:
                parents = [
                    node_hash(self.node(level, 2 * j), self.node(level, 2 * j + 1))
                    for j in range(have, expected)
                ]
                self._write(level + 1, parents)
        top = len(self._counts) - 1
        while top >= 0 and self._counts[top] >= 2:
            # a level with two or more nodes needs its parents on the next level
            parents = [
                node_hash(self.node(top, 2 * j), self.node(top, 2 * j + 1))
                for j in range(self._count(top + 1), self._counts[top] // 2)
            ]
            if not parents:
                break
            self._write(top + 1, parents)
            top += 1

    def close(self) -> None:
        """Release the memory maps."""
        for view in self._maps.values():
            view.close()
        self._maps.clear()
