"""Synthesizes each stage once per test session (offline, no layer build, no asset copies)."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Synthesized:
    stack: object
    template: object  # aws_cdk.assertions.Template
    resources: dict
    template_path: Path
    messages: list
    build_root: Path

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def logical_id(self, construct) -> str:
        return self.stack.get_logical_id(construct.node.default_child)


def synthesize(stage: str, root: Path, extra: dict | None = None) -> Synthesized:
    from aws_cdk.assertions import Template

    from infra.app import build_app

    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    context.update(
        {"stage": stage, "skipLayerBuild": "true", "aws:cdk:disable-asset-staging": True, **(extra or {})}
    )
    app = build_app(context=context, outdir=str(root / "cdk.out"), build_root=root / "build")
    assembly = app.synth()
    stack = app.node.find_child(f"Meetings-{stage}")
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    template_path = Path(assembly.directory) / artifact.template_file
    return Synthesized(
        stack=stack,
        template=Template.from_stack(stack),
        resources=artifact.template["Resources"],
        template_path=template_path,
        messages=list(artifact.messages),
        build_root=root / "build",
    )


@pytest.fixture(scope="session")
def dev(tmp_path_factory) -> Synthesized:
    return synthesize("dev", tmp_path_factory.mktemp("synth-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory) -> Synthesized:
    return synthesize(
        "prod",
        tmp_path_factory.mktemp("synth-prod"),
        {"egressRolePrincipal": "arn:aws:iam::123456789012:root", "egressExternalId": "livekit-egress"},
    )


@pytest.fixture(params=["dev", "prod"])
def synthesized(request) -> Synthesized:
    return request.getfixturevalue(request.param)
