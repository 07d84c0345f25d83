"""A Lambda's init phase: the handler's imports run with the cyclic garbage collector paused.

Importing a handler allocates a few hundred thousand objects that live as long as the process (modules,
classes, routes, schemas) and almost no cyclic garbage. With the collector on, the manager API's import
ran collections that scanned all of them to find about 60 objects (docs/benchmarks.md has the cost).
What the imports built is then frozen: moved where the collector never scans it, rather than scanned
once more when the collector resumes. A cycle among those objects that later becomes garbage is never
collected; at init, there is no such cycle worth a scan.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
