"""Crafted uploads before and after the extraction budgets and the resource-limited child: wall time,
processor time and peak memory of reading each one, against a normal document of the same type and
about the same size read in the same run (the floor).

"before" is the extractor as it was at BEFORE_COMMIT (loaded from git), run in-process as the API and
the ingestion job ran it, under a safety cap so a bench run cannot take the machine down; a figure at
the cap means "stopped there, would have gone on". "after" is what ingestion does now: sniff, then
extract in the child. Each measurement runs in a fresh process, so peak memory is its own.

    PYTHONPATH=layers/core/python:. python bench/bench_hostile_uploads.py [--cap-seconds 90]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core" / "python")]

BEFORE_COMMIT = "dc17690"  # the last commit before the budgets
EXTRACT_PATH = "layers/core/python/meetings/manager/knowledge/extract.py"
CAP_MEMORY_BYTES = 2 * 1024**3
NORMAL_RUNS = 3
CASES = ["spaces-heading.md", "shared-stream.pdf", "zip-bomb.docx", "malformed-part.docx"]


def documents(case: str) -> tuple[str, bytes, bytes]:
    """(content type, the crafted file, a normal file of the same type and about the same size)."""
    from tests.knowledge import hostile
    from tests.knowledge.documents import make_pdf

    if case == "spaces-heading.md":
        crafted = hostile.spaces_heading_markdown(3000)
        sentence = "Patients park for free in the garage; show the ticket at the reception desk.\n"
        normal = "".join(f"# Section {i}\n{sentence * 3}" for i in range(12)).encode()
        return "text/markdown", crafted, normal
    if case == "shared-stream.pdf":
        crafted = hostile.shared_content_pdf(500)
        line = "The clinic receives patients from Monday to Friday, 8 am to 6 pm, and on Saturdays."
        page = "\n".join([line] * 20)
        pages = max(1, len(crafted) * 3 // len(make_pdf([page] * 3)))
        normal = make_pdf([page] * pages)
        return "application/pdf", crafted, normal
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if case == "zip-bomb.docx":
        crafted = hostile.docx_bomb()
        return docx, crafted, hostile.normal_docx_of_size(len(crafted))
    crafted = hostile.malformed_part_docx()
    return docx, crafted, hostile.normal_docx_of_size(len(crafted))


def measure(path: str, content_type: str, mode: str, cap_seconds: int) -> dict:
    """One reading of the file at `path`, in this (fresh) process; the caller runs each in its own."""
    data = Path(path).read_bytes()
    name = Path(path).name
    if mode == "before":
        resource.setrlimit(resource.RLIMIT_CPU, (cap_seconds, cap_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (CAP_MEMORY_BYTES, CAP_MEMORY_BYTES))
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:{EXTRACT_PATH}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        old = {"__name__": "extract_before"}
        exec(compile(source, "extract_before.py", "exec"), old)

        def read():
            return old["extract_document"](data, old["detect_document_type"](data, content_type, name))
    else:
        from meetings.manager.knowledge.extract import detect_document_type, extract_document
        from meetings.manager.knowledge.isolation import extract_isolated

        extract = extract_isolated if mode == "after" else extract_document

        def read():
            return extract(data, detect_document_type(data, content_type, name))

    from meetings.errors import DomainError

    started, cpu_started = time.perf_counter(), _cpu()
    try:
        document = read()
        outcome = f"read: {sum(len(b.text) for b in document.blocks):,} characters"
    except DomainError as exc:
        outcome = f"{exc.code}: {exc.message}"
    except MemoryError:
        outcome = f"MemoryError at the {CAP_MEMORY_BYTES // 1024**3} GB safety cap"
    except Exception as exc:  # what the API answered as a 500 and the job left PENDING
        outcome = f"uncaught {type(exc).__module__}.{type(exc).__name__} (a 500, or a job error)"
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu_started
    peak_kb = max(_own_peak_kb(), _children_peak_kb())
    return {
        "bytes": len(data),
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak_kb / 1024,
        "outcome": outcome,
    }


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _own_peak_kb() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _children_peak_kb() -> int:
    """The extraction child's peak (its ru_maxrss starts at this small process's size at exec)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run_one(path: Path, content_type: str, mode: str, cap_seconds: int) -> dict:
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, __file__, "--one", str(path), content_type, mode, "--cap-seconds", str(cap_seconds)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'core' / 'python'}{os.pathsep}{ROOT}"},
    )
    if process.returncode < 0:
        # Killed by the safety cap (SIGXCPU / SIGKILL) before it could report.
        return {
            "bytes": path.stat().st_size,
            "seconds": time.perf_counter() - started,
            "cpu": float(cap_seconds),
            "peak_mb": float("nan"),
            "outcome": f"stopped by the {cap_seconds} s safety cap (signal {-process.returncode})",
        }
    if process.returncode != 0:
        raise RuntimeError(process.stderr[-2000:])
    return json.loads(process.stdout.strip().splitlines()[-1])


def median_run(path: Path, content_type: str, mode: str, cap_seconds: int, which: str) -> dict:
    """The normal files are quick: the median of NORMAL_RUNS readings steadies the floor."""
    runs = [
        run_one(path, content_type, mode, cap_seconds) for _ in range(NORMAL_RUNS if which == "normal" else 1)
    ]
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", nargs=3, metavar=("PATH", "CONTENT_TYPE", "MODE"))
    parser.add_argument("--cap-seconds", type=int, default=90)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(*args.one, args.cap_seconds)))
        return
    print(f"crafted uploads, before ({BEFORE_COMMIT}, capped at {args.cap_seconds} s CPU) and after")
    for case in CASES:
        content_type, crafted, normal = documents(case)
        with tempfile.TemporaryDirectory(prefix="bench-hostile-") as directory:
            paths = {
                "crafted": Path(directory) / f"crafted-{case}",
                "normal": Path(directory) / f"normal-{case}",
            }
            paths["crafted"].write_bytes(crafted)
            paths["normal"].write_bytes(normal)
            figures = {
                (mode, which): median_run(paths[which], content_type, mode, args.cap_seconds, which)
                for mode in ("before", "after", "inprocess")
                for which in ("normal", "crafted")
            }
        floor = figures[("after", "normal")]
        floors = {mode: figures[(mode, "normal")] for mode in ("before", "after")}
        print(
            f"\n{case}: crafted {figures[('after', 'crafted')]['bytes']:,} bytes, normal {floor['bytes']:,} bytes"
        )
        for mode in ("before", "after"):
            for which in ("normal", "crafted"):
                f = figures[(mode, which)]
                print(
                    f"  {mode:6} {which:7}: {f['seconds']:7.3f} s wall {f['cpu']:7.3f} s CPU "
                    f"{f['peak_mb']:7.1f} MB peak | vs the normal file: wall "
                    f"{f['seconds'] / floors[mode]['seconds']:8.2f}x, CPU {f['cpu'] / max(floors[mode]['cpu'], 0.01):7.2f}x, "
                    f"peak {f['peak_mb'] / floors[mode]['peak_mb']:5.2f}x "
                    f"| {f['outcome'][:110]}"
                )
        inprocess = figures[("inprocess", "normal")]
        print(
            f"  child overhead on the normal file: {floor['seconds'] - inprocess['seconds']:.3f} s "
            f"({floor['seconds']:.3f} s in the child, {inprocess['seconds']:.3f} s in process)"
        )


if __name__ == "__main__":
    main()
