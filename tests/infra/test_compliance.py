"""cdk-nag (AwsSolutions, HIPAA Security), checkov and cfn-lint on every synthesized template."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra import sources
from tests.infra.conftest import REPO_ROOT

NAG_PREFIXES = ("AwsSolutions-", "HIPAA.Security-", "CdkNagValidationFailure")


def _nag_findings(synth) -> list[str]:
    findings = []
    for message in synth.messages:
        data = str(message.entry.data)
        if data.startswith(NAG_PREFIXES):
            findings.append(f"{message.id}: {data[:160]}")
    return findings


def test_cdk_nag_reports_no_unacknowledged_findings(synthesized):
    assert _nag_findings(synthesized) == []


def test_synthesis_reports_no_other_errors_or_warnings(synthesized):
    unexpected = [
        f"{m.id}: {m.entry.data}"
        for m in synthesized.messages
        if m.level.value in ("error", "warning", "ERROR", "WARNING")
        and "meetings:missing-sources" not in str(m.entry.trace or "") + str(m.entry.data)
        and "placeholders deployed for missing sources" not in str(m.entry.data)
    ]
    assert unexpected == []


def test_every_acknowledgement_carries_a_reason(synthesized):
    template = synthesized.template.to_json()
    count = 0
    for resource in template["Resources"].values():
        for suppression in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            count += 1
            assert len(suppression["reason"]) >= 60, suppression
    assert count > 0


def test_cfn_lint_is_clean(synthesized):
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [
            str(cfn_lint),
            "--ignore-checks",
            "W3005",
            "--format",
            "parseable",
            "--",
            str(synthesized.template_path),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _checkov() -> str:
    """checkov lives in its own environment (`make install` builds .build/checkov): its pinned
    dependencies (boto3 among them) would downgrade the platform's."""
    candidates = [
        os.environ.get("CHECKOV"),
        str(REPO_ROOT / ".build/checkov/bin/checkov"),
        shutil.which("checkov"),
    ]
    found = next((path for path in candidates if path and Path(path).is_file()), None)
    assert found, "checkov is not installed: run `make install` (or set CHECKOV to its executable)"
    return found


def test_checkov_reports_no_failed_checks(synthesized):
    result = subprocess.run(
        [
            _checkov(),
            "--file",
            str(synthesized.template_path),
            "--framework",
            "cloudformation",
            "--skip-download",  # offline: no policy metadata from the vendor's API
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    failed = [f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 300


def test_every_checkov_skip_carries_a_reason(synthesized):
    skips = [
        skip
        for resource in synthesized.resources.values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for skip in skips:
        assert skip["id"].startswith("CKV_") and len(skip["comment"]) >= 60, skip


def test_platform_functions_skip_no_vpc_concurrency_or_encryption_check(synthesized):
    platform = {synthesized.logical_id(f.function) for f in synthesized.stack.functions.values()}
    for logical_id in platform:
        resource = synthesized.resources[logical_id]
        skipped = {skip["id"] for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}
        assert skipped <= {"CKV_AWS_116"}, logical_id  # only the synchronous ones, for the DLQ
        properties = resource["Properties"]
        assert properties["VpcConfig"] and properties["KmsKeyArn"], logical_id
        assert properties["ReservedConcurrentExecutions"] >= 1, logical_id


def test_every_platform_source_is_in_the_checkout():
    assert sources.missing_sources() == []
