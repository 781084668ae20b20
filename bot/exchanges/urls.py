"""Point a ccxt instance at another host (the local simulator) by rewriting ``urls['api']``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def rewrite_api_urls(api_urls: Any, base_url: str) -> Any:
    """Every URL in ccxt's ``urls['api']`` tree with its scheme and host replaced by ``base_url``.

    The path part is kept (Binance's ``https://fapi.binance.com/fapi/v1`` becomes
    ``<base>/fapi/v1``) so one simulator prefix per venue serves every api of that venue.
    Host templates such as ``https://api.{hostname}`` are replaced too.
    """
    base = base_url.rstrip("/")
    if isinstance(api_urls, dict):
        return {key: rewrite_api_urls(value, base) for key, value in api_urls.items()}
    if isinstance(api_urls, str) and "://" in api_urls:
        path = urlsplit(api_urls).path
        return base + path.rstrip("/") if path not in ("", "/") else base
    return api_urls
