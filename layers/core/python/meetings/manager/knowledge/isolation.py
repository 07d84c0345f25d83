"""Extraction in a child process under CPU, memory and wall-clock limits.

The budgets (extract.py) refuse what can be measured before parsing; these limits bound the rest: a
parser that loops, recurses or allocates without end is stopped, and its document fails with a
reason instead of taking the ingestion job (and its Lambda) down. The child is a fresh interpreter,
not a fork: the job holds the embedding model and its threads, which a fork would copy.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import meetings.errors
from meetings.errors import DomainError
from meetings.manager.knowledge.extract import extract_document
from meetings.manager.knowledge.reading import (
    BUDGETS,
    MB,
    Budgets,
    DocumentType,
    ExtractedDocument,
    TextBlock,
    unreadable,
)

CHILD = "from meetings.manager.knowledge.isolation import main; main()"
OUT_OF_MEMORY = b'{"out_of_memory": true}'
CHILD_ENVIRONMENT = ("PATH", "LD_LIBRARY_PATH", "PYTHONHOME", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class ExtractionLimits:
    cpu_seconds: int = 60
    memory_bytes: int = 1024 * MB
    wall_seconds: int = 120


LIMITS = ExtractionLimits()


def extract_isolated(
    data: bytes,
    document_type: DocumentType,
    *,
    limits: ExtractionLimits | None = None,
    budgets: Budgets = BUDGETS,
) -> ExtractedDocument:
    """extract_document in a resource-limited child; raises the same DomainErrors, and `unreadable`
    for a child that runs out of time or memory or dies."""
    limits = limits or LIMITS
    config = {
        "type": document_type.value,
        "limits": dataclasses.asdict(limits),
        "budgets": dataclasses.asdict(budgets),
    }
    package_root = str(Path(meetings.errors.__file__).resolve().parent.parent)
    # Only what the interpreter needs: the job's secrets and AWS credentials stay out of the process
    # that parses untrusted bytes.
    env = {name: os.environ[name] for name in CHILD_ENVIRONMENT if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        output, _ = process.communicate(data, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise unreadable(f"reading it took longer than {limits.wall_seconds} s") from None
    return _answer(process.returncode, output, limits)


def _answer(returncode: int, output: bytes, limits: ExtractionLimits) -> ExtractedDocument:
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise unreadable(f"reading it needed more than {limits.cpu_seconds} s of processor time")
    try:
        answer = json.loads(output) if returncode == 0 else None
    except ValueError:
        answer = None
    if answer is None:
        from meetings.log import logger

        logger.warning("document extraction stopped", extra={"returncode": returncode})
        raise unreadable("its reader stopped unexpectedly")
    if answer.get("out_of_memory"):
        raise unreadable(f"reading it needed more than {limits.memory_bytes // MB} MB of memory")
    if "error" in answer:
        error = answer["error"]
        kind = getattr(meetings.errors, error["class"], None)
        if not (isinstance(kind, type) and issubclass(kind, DomainError)):
            raise unreadable("its reader stopped unexpectedly")
        raise kind(error["message"], code=error["code"], details=error["details"])
    blocks = [TextBlock(text, page, section) for text, page, section in answer["blocks"]]
    return ExtractedDocument(blocks, answer["page_count"])


def main() -> None:
    """The child: limits itself first, then reads the document from stdin and answers JSON on stdout."""
    import resource

    config = json.loads(sys.argv[1])
    limits = ExtractionLimits(**config["limits"])
    # Soft CPU limit: SIGXCPU; the hard one a second later: SIGKILL, should the first be ignored.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    data = sys.stdin.buffer.read()
    try:
        document = extract_document(data, DocumentType(config["type"]), Budgets(**config["budgets"]))
        del data
        answer = {
            "blocks": [[block.text, block.page, block.section] for block in document.blocks],
            "page_count": document.page_count,
        }
        output = json.dumps(answer).encode()
    except DomainError as exc:
        error = {
            "class": type(exc).__name__,
            "code": exc.code,
            "message": exc.message,
            "details": exc.details,
        }
        output = json.dumps({"error": error}).encode()
    except MemoryError:
        output = OUT_OF_MEMORY
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
