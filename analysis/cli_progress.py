"""A progress bar for the command line, fed by the library's ``progress(stage, done, total)``."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Bar:
    """One tqdm bar per stage; quiet when stderr is not a terminal unless forced."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.stage = None
        self.bar = None

    def update(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            # No rate: stages jump by whole batches, so tqdm's rate read billions of rows per
            # second after the first one, and some stages count steps, not rows.
            self.bar = tqdm(total=max(total, 0), desc=stage, file=self.stream, leave=False, dynamic_ncols=True,
                            mininterval=0.3, bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                                        "[{elapsed}<{remaining}]")
        if self.bar is not None:
            if total != self.bar.total:
                self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
