"""Peak memory of a process tree from /proc (VmHWM), without psutil."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children(p)
    return pids


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakTracker:
    """Remembers the high-water mark of every process seen in a tree: workers may be replaced,
    and /proc forgets a process once it exits, so sample() is called during and after the load."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peaks: dict[int, int] = {}

    def sample(self) -> None:
        for pid in tree(self.root):
            self.peaks[pid] = max(self.peaks.get(pid, 0), status_kb(pid, "VmHWM"))

    def total_mb(self) -> float:
        """Sum of the peaks of all processes (upper bound of the tree's peak)."""
        return sum(self.peaks.values()) / 1024

    def largest_mb(self) -> float:
        return max(self.peaks.values(), default=0) / 1024
