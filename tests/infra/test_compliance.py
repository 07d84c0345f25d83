"""cdk-nag (AwsSolutions, HIPAA Security) and cfn-lint on every synthesized template."""

import subprocess
import sys
from pathlib import Path

from infra import sources

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


def test_every_platform_source_is_in_the_checkout():
    assert sources.missing_sources() == []
