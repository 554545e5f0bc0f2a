"""The memory a process tree really uses: what the grading sandbox limits and the real-size run records.

Summing every process's resident set (RSS) counts a page shared by several processes once per process:
a notebook that forks (``multiprocessing``, a data-loader worker, ``os.fork`` before ``exec``) would seem
to use its memory twice. The proportional set size (PSS, Linux ``/proc/PID/smaps_rollup``) splits each
shared page among its sharers, so the sum over a tree is the memory the tree holds. Where PSS cannot be
read (another platform, a process that ended or refused), that process's RSS is counted instead.
"""

from __future__ import annotations

import os

import psutil


def tree(root: psutil.Process) -> list[psutil.Process]:
    """``root`` and all its descendants (empty if ``root`` ended)."""
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def process_bytes(proc: psutil.Process) -> int:
    """One process's share of memory: PSS where the system reports it, else RSS; 0 if it ended."""
    try:
        return int(proc.memory_full_info().pss)
    except (AttributeError, psutil.Error, OSError):
        pass  # no PSS on this platform, or smaps not readable: fall back to RSS
    try:
        return int(proc.memory_info().rss)
    except psutil.Error:
        return 0


def resident_bytes(procs) -> int:
    """The RSS of ``procs``, summed: cheap (no walk of the mappings) and never below :func:`used_bytes`."""
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def used_bytes(procs) -> int:
    """Memory held by ``procs`` together (:func:`process_bytes` summed)."""
    return sum(process_bytes(p) for p in procs)


def tree_bytes(pid: int | None = None) -> int:
    """Memory held by process ``pid`` (default: this one) and all its descendants."""
    try:
        root = psutil.Process(pid or os.getpid())
    except psutil.NoSuchProcess:
        return 0
    return used_bytes(tree(root))
