"""The `byconsent` command: run the platform, its worker, Django commands, and the engines' command-line tools."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType

# Engine tools: subcommand name -> module in byconsent.commands with add_arguments(parser) and run(args).
ENGINE_COMMANDS = {
    "select-panel": ("select_panel", "Select a citizens' panel by fair lottery (LEXIMIN and others)"),
    "rake": ("rake", "Weight survey respondents to population margins (raking)"),
    "themes": ("themes", "Find themes in free text, offline"),
}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byconsent.settings")
    import django

    django.setup()


def _manage(*arguments: str) -> None:
    from django.core.management import call_command

    call_command(*arguments)


def prepare_database(load_demo: bool) -> None:
    """Migrate, create the cache table and, when asked, load the demo if the database is empty."""
    _setup_django()
    _manage("migrate", "--no-input", "-v", "0")
    _manage("createcachetable")
    if load_demo:
        from byconsent.core.demo import load_demo as load

        load()


def print_welcome(host: str, port: int) -> None:
    from byconsent.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET

    shown_host = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host  # noqa: S104
    print(f"\nByConsent is running: open http://{shown_host}:{port}/\n")
    print(f"Demo sign-in (password for every account: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        print(f"  {account.email:40} {account.role or 'member of the public'}")
    print("Staff accounts need a second factor. Add this secret to an authenticator app:")
    print(f"  {DEMO_TOTP_SECRET}")
    print("or print the current code with:  .venv/bin/byconsent demo-code\n")
    sys.stdout.flush()


def cmd_run(args: argparse.Namespace) -> int:
    if args.demo:
        os.environ.setdefault("BYCONSENT_DEMO", "1")
    prepare_database(load_demo=args.demo)
    worker = subprocess.Popen([sys.executable, "-m", "byconsent.cli", "worker"])
    print_welcome(args.host, args.port)
    try:
        import uvicorn

        uvicorn.run("byconsent.asgi:application", host=args.host, port=args.port, log_level="warning",
                    lifespan="off")
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ.setdefault("BYCONSENT_DEMO", "1")
    prepare_database(load_demo=True)
    print("Demo data is ready.")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    _manage("run_worker", *(["--batch"] if args.batch else []))
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byconsent.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["byconsent manage", *args.arguments])
    return 0


def cmd_check_deploy(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    except SystemCheckError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def cmd_demo_code(args: argparse.Namespace) -> int:
    from byconsent.core.demo import current_code

    print(current_code())
    return 0


def _engine_command(module_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"byconsent.commands.{module_name}")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("byconsent.commands"):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="byconsent", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="Start the web server and the task worker")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument("--demo", action=argparse.BooleanOptionalAction, default=True,
                     help="Load demo data into an empty database (default on)")
    run.set_defaults(handler=cmd_run)
    sub.add_parser("demo", help="Load demo data").set_defaults(handler=cmd_demo)
    worker = sub.add_parser("worker", help="Run background tasks")
    worker.add_argument("--batch", action="store_true", help="Exit when no task is left")
    worker.set_defaults(handler=cmd_worker)
    manage = sub.add_parser("manage", help="Run any Django management command")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    sub.add_parser("check-deploy", help="Check production settings").set_defaults(handler=cmd_check_deploy)
    sub.add_parser("demo-code", help="Print the demo staff authenticator code").set_defaults(handler=cmd_demo_code)
    for name, (_, help_text) in ENGINE_COMMANDS.items():
        # Listed for --help only; the engine's own parser is built when it is chosen (see main), so that the
        # everyday commands do not import numpy, solvers or models.
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def engine_parser(name: str) -> argparse.ArgumentParser | None:
    module_name, help_text = ENGINE_COMMANDS[name]
    module = _engine_command(module_name)
    if module is None:
        return None
    parser = argparse.ArgumentParser(prog=f"byconsent {name}", description=help_text)
    module.add_arguments(parser)
    parser.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ENGINE_COMMANDS:
        parser = engine_parser(argv[0])
        if parser is None:
            print(f"byconsent {argv[0]} is not available in this installation.", file=sys.stderr)
            return 2
        args = parser.parse_args(argv[1:])
    else:
        args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
