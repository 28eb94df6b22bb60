"""The deploy files start exactly the services `baton run` has, and expose the bot's webhook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.cli import build_parser
from baton.registry import SERVICES

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
WEBHOOK_PORT = 8443  # the default of BATON_TELEGRAM_WEBHOOK_PORT


def accepted(argv: list[str]) -> bool:
    """True if `baton` would take these arguments (what the container runs)."""
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def compose() -> dict[str, Any]:
    """The compose file with its anchors and merge keys resolved, as compose reads it."""
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def kustomized() -> list[dict[str, Any]]:
    """Every object the kustomization lists, from its resource files."""
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    objects = []
    for name in kustomization["resources"]:
        objects += [o for o in yaml.safe_load_all((DEPLOY / "k8s" / name).read_text()) if o]
    return objects


def baton_containers(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The containers of every Deployment and Job that run the baton image."""
    found = []
    for obj in objects:
        if obj["kind"] in {"Deployment", "Job"}:
            for container in obj["spec"]["template"]["spec"]["containers"]:
                if container["image"] == "baton":
                    found.append(container)
    return found


def test_compose_runs_each_service_once_with_a_command_baton_takes() -> None:
    services = compose()["services"]
    commands = [s["command"] for s in services.values() if "baton" in s.get("image", "")]
    assert commands, "no baton containers in the compose file"
    for command in commands:
        assert accepted(command), command
    run = sorted(c[1] for c in commands if c[0] == "run")
    assert run == sorted(SERVICES)
    assert ["migrate"] in commands


def test_the_kustomization_runs_each_service_once_with_a_command_baton_takes() -> None:
    listed = set(yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk, "a manifest is not in the kustomization, or one listed is missing"
    containers = baton_containers(kustomized())
    for container in containers:
        assert accepted(container["args"]), container["args"]
    run = sorted(c["args"][1] for c in containers if c["args"][0] == "run")
    assert run == sorted(SERVICES)
    assert ["migrate"] in [c["args"] for c in containers]


def test_the_bots_webhook_port_is_published_and_has_a_service() -> None:
    bot = compose()["services"]["bot"]
    assert f"{WEBHOOK_PORT}:{WEBHOOK_PORT}" in bot["ports"]
    objects = kustomized()
    [container] = [c for c in baton_containers(objects) if c["args"] == ["run", "bot"]]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"webhook": WEBHOOK_PORT}
    services = [
        o
        for o in objects
        if o["kind"] == "Service"
        and o["spec"]["selector"].get("app.kubernetes.io/component") == "bot"
    ]
    assert [(p["port"], p["targetPort"]) for s in services for p in s["spec"]["ports"]] == [
        (WEBHOOK_PORT, "webhook")
    ]


@pytest.mark.parametrize("argv", [["run", "scheduler"], ["run"], ["nonsense"]])
def test_the_check_itself_refuses_what_baton_refuses(argv: list[str]) -> None:
    assert not accepted(argv)
