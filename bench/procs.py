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
    """Peak memory of a process tree. VmHWM is each process's own high-water mark; the tree's peak is
    taken as the largest sum over the processes alive at one sample (sampled twice a second, and once
    more after the load). Workers that uvicorn replaced are counted while they lived, not added on top."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_sum_kb = 0
        self.largest_kb = 0
        self.seen: set[int] = set()

    def sample(self) -> None:
        marks = {pid: status_kb(pid, "VmHWM") for pid in tree(self.root)}
        marks = {pid: kb for pid, kb in marks.items() if kb}
        self.seen |= set(marks)
        self.peak_sum_kb = max(self.peak_sum_kb, sum(marks.values()))
        self.largest_kb = max(self.largest_kb, max(marks.values(), default=0))

    def total_mb(self) -> float:
        return self.peak_sum_kb / 1024

    def largest_mb(self) -> float:
        return self.largest_kb / 1024
