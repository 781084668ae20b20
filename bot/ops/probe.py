"""`python -m bot.ops.probe`: exit 0 when the running service's /healthz says ok (health checks).

Made for a container ``HEALTHCHECK`` or a monitoring script on the same host: it reads the
metrics address from the same settings the service uses, or takes ``--url``. Standard library
only, so it starts fast and needs no event loop.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

from bot.settings import SettingsError, load_settings

EXIT_OK, EXIT_UNHEALTHY, EXIT_USAGE = 0, 1, 2
# Never through an HTTP(S)_PROXY from the environment: the endpoint is on this host.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(url: str, *, timeout: float = 3.0) -> tuple[bool, str]:
    """(healthy, one line saying why) for the /healthz at ``url``."""
    try:
        with _DIRECT.open(url, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            return False, f"{url} answered {exc.code}"
        problems = "; ".join(body.get("problems", [])) or f"HTTP {exc.code}"
        return False, f"degraded: {problems}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{url} did not answer: {reason}"
    status = body.get("status", "unknown")
    line = (
        f"{status}: outbox {body.get('outbox_depth')}, "
        f"last poll {body.get('seconds_since_last_poll')}s ago"
    )
    return status == "ok", line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.ops.probe", description=__doc__)
    parser.add_argument("--url", help="the /healthz URL (default: from MARGINWATCH_METRICS_*)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait")
    args = parser.parse_args(argv)
    url = args.url
    if url is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            print(exc, file=sys.stderr)
            return EXIT_USAGE
        if not settings.metrics_port:
            print(
                "MARGINWATCH_METRICS_PORT is not set to a fixed port: nothing to probe",
                file=sys.stderr,
            )
            return EXIT_USAGE
        host = settings.metrics_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
        url = f"http://{host}:{settings.metrics_port}/healthz"
    healthy, line = probe(url, timeout=args.timeout)
    print(line)
    return EXIT_OK if healthy else EXIT_UNHEALTHY


if __name__ == "__main__":
    sys.exit(main())
