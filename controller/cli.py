"""`flask --app controller` commands for operators."""

import click
from flask import Flask

from controller.errors import AppError
from controller.schemas import AgentWriteSchema
from controller.services import accounts, agents


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--email", required=True)
    @click.password_option()
    def create_admin(username: str, email: str, password: str) -> None:
        """Create an admin account."""
        if len(password) < app.config["PASSWORD_MIN_LENGTH"]:
            raise click.ClickException(
                f"Use at least {app.config['PASSWORD_MIN_LENGTH']} characters."
            )
        try:
            user = accounts.create_admin(username, email, password)
        except AppError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Admin {user.username} created (id {user.id}).")

    @app.cli.command("add-agent")
    @click.option("--name", required=True)
    @click.option("--url", required=True, help="The agent's base URL, e.g. http://node1:5001")
    @click.option("--token", envvar="AGENT_TOKEN", help="The agent's bearer token")
    @click.option("--cpu-cores", type=click.IntRange(1), required=True)
    @click.option("--memory-gb", type=click.FloatRange(min=0, min_open=True), required=True)
    @click.option("--gpu-count", type=click.IntRange(0), default=0)
    @click.option("--mac-address", default=None)
    @click.option("--broadcast-address", default=None)
    @click.option("--wol-port", type=click.IntRange(1, 65535), default=9)
    @click.option("--tag", "tags", multiple=True)
    def add_agent(**options) -> None:
        """Register a worker node."""
        payload = {k: v for k, v in options.items() if v is not None}
        payload["tags"] = list(options["tags"])
        errors = AgentWriteSchema().validate(payload)
        if errors:
            raise click.ClickException(f"Invalid node: {errors}")
        try:
            agent = agents.register_agent(None, **AgentWriteSchema().load(payload))
        except AppError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Node {agent.name} registered (id {agent.id}).")
