"""The import table of docs/architecture.md, enforced: an AST scan of every module under risk/ and
bot/.

Every ``import`` and ``from ... import`` counts, wherever it stands (inside a function, under
``TYPE_CHECKING``): a late import is still a dependency. ``from bot.core import texts`` counts as
``bot.core.texts``. A rule lists what a package may import besides the standard library and its
own modules; a failure names the file, the line and the import that broke it.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STDLIB = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. bot.monitor.poller
    target: str  # what it imports, e.g. bot.store
    where: str  # file:line, for the failure message


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    """Whether ``name`` is a module or package of this repository."""
    base = REPO.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path) -> list[Import]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    where = path.relative_to(REPO).as_posix()
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, f"{where}:{node.lineno}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                # `from bot.ops import metrics` depends on bot.ops.metrics, not all of bot.ops.
                sub = f"{source}.{alias.name}"
                target = sub if is_module(sub) else source
                found.append(Import(name, target, f"{where}:{node.lineno}"))
    return found


def modules_under(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py"))


ALL_IMPORTS = [imp for path in modules_under("risk", "bot") for imp in imports_of(path)]


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(
    package: str, allowed: tuple[str, ...], *, only_in: dict[str, str] | None = None
) -> list[str]:
    """Imports by modules of ``package`` that are neither stdlib, its own, nor ``allowed``.

    ``only_in`` maps a further target to the one module of ``package`` that may import it.
    """
    broken = []
    for imp in ALL_IMPORTS:
        if not within(imp.module, package):
            continue
        target = imp.target
        if target.split(".")[0] in STDLIB or within(target, package):
            continue
        if any(within(target, rule) for rule in allowed):
            continue
        if any(
            within(target, rule) and imp.module == module
            for rule, module in (only_in or {}).items()
        ):
            continue
        broken.append(f"{imp.where}: {imp.module} imports {target}")
    return broken


PACKAGES = ("risk", "bot.store", "bot.exchanges", "bot.monitor", "bot.core", "bot.chat", "bot.sim")


def test_the_scan_sees_every_package_of_the_table() -> None:
    # Guards the scan itself: an empty walk would make every rule below pass vacuously.
    importers = {imp.module for imp in ALL_IMPORTS}
    assert [p for p in PACKAGES if not any(within(m, p) for m in importers)] == []


def test_risk_imports_only_the_standard_library() -> None:
    assert violations("risk", ()) == []


def test_store_imports_only_sqlite_utils_and_cryptography() -> None:
    assert violations("bot.store", ("sqlite_utils", "cryptography")) == []


def test_exchanges_import_only_risk_ccxt_and_aiohttp() -> None:
    # certifi: ccxt's own CA bundle, which the hub hands to the aiohttp session it shares.
    # bot.sim: `marginwatch check --replay FILE` serves a recording from the simulator
    # (docs/recordings.md), so exactly the replay module may import it, and only there, late.
    assert (
        violations(
            "bot.exchanges",
            ("risk", "ccxt", "aiohttp", "certifi"),
            only_in={"bot.sim": "bot.exchanges.replay"},
        )
        == []
    )


def test_monitor_imports_only_risk_exchanges_store_metrics_and_apscheduler() -> None:
    # bot.ops.metrics is a leaf (prometheus-client only, see the next test); nothing else of
    # bot.ops, and never bot.core: the monitor's words come from an injected Presenter.
    allowed = ("risk", "bot.exchanges", "bot.store", "bot.ops.metrics", "apscheduler")
    assert violations("bot.monitor", allowed) == []


def test_metrics_stay_a_leaf_the_monitor_can_import() -> None:
    metrics_imports = [imp for imp in ALL_IMPORTS if imp.module == "bot.ops.metrics"]
    assert metrics_imports, "bot/ops/metrics.py was not scanned"
    assert [
        f"{imp.where}: {imp.target}"
        for imp in metrics_imports
        if imp.target.split(".")[0] not in STDLIB | {"prometheus_client"}
    ] == []


def test_core_imports_only_risk_exchanges_store_monitor_and_matplotlib_for_charts() -> None:
    broken = violations(
        "bot.core", ("risk", "bot.exchanges", "bot.store", "bot.monitor", "matplotlib")
    )
    charts_only = [
        f"{imp.where}: {imp.module} imports {imp.target}"
        for imp in ALL_IMPORTS
        if within(imp.module, "bot.core")
        and within(imp.target, "matplotlib")
        and imp.module != "bot.core.chart"
    ]
    assert broken + charts_only == []


def test_core_imports_no_chat_library_nor_adapter() -> None:
    # Implied by the rule above; kept apart so that this break reads as what it is.
    chat = ("discord", "telegram", "bot.chat")
    assert [
        f"{imp.where}: {imp.module} imports {imp.target}"
        for imp in ALL_IMPORTS
        if within(imp.module, "bot.core") and any(within(imp.target, c) for c in chat)
    ] == []


def test_simulator_imports_only_aiohttp() -> None:
    # yarl is aiohttp's URL type (the simulator reads request URLs with it). The venues' limits
    # table is the one fact the simulator shares with the product: it enforces the same table,
    # from its limits module only.
    assert (
        violations(
            "bot.sim", ("aiohttp", "yarl"), only_in={"bot.exchanges.limits": "bot.sim.limits"}
        )
        == []
    )


def test_the_limits_table_stays_a_leaf_the_simulator_can_import() -> None:
    table_imports = [imp for imp in ALL_IMPORTS if imp.module == "bot.exchanges.limits"]
    assert table_imports, "bot/exchanges/limits.py was not scanned"
    assert [
        f"{imp.where}: {imp.target}"
        for imp in table_imports
        if imp.target.split(".")[0] not in STDLIB
    ] == []


# Each adapter's own chat library, besides bot.core (docs/architecture.md: adapters talk only to
# core).
CHAT_LIBRARIES: dict[str, tuple[str, ...]] = {
    "console": (),
    "discord": ("discord", "aiohttp"),  # discord.py, and the aiohttp errors its HTTP layer raises
    "telegram": ("telegram", "pydantic"),  # PTB; pydantic's SecretStr keeps the token out of reprs
}


def test_chat_adapters_import_only_core_and_their_own_chat_library() -> None:
    adapters = sorted(
        p.name for p in (REPO / "bot" / "chat").iterdir() if (p / "__init__.py").is_file()
    )
    assert adapters, "no chat adapter was found"
    assert [
        line
        for name in adapters
        for line in violations(f"bot.chat.{name}", ("bot.core", *CHAT_LIBRARIES.get(name, ())))
    ] == []
