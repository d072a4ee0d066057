"""The operator links' connector (app/links/ports.LinkConnector): one `EsmeClient` per
configured link. The composition root hands `connect_link` to `OperatorLinks`."""

from __future__ import annotations

from kodeord.adapters.smpp_io.client import EsmeClient
from kodeord.app.links.ports import LinkConfig, RequestHandler


def connect_link(config: LinkConfig, on_request: RequestHandler) -> EsmeClient:
    """The link of `config`, not started; requests from the operator go to `on_request`."""
    return EsmeClient(
        config.host,
        config.port,
        config.system_id,
        config.password,
        bind_type=config.bind_type,
        window=config.window,
        max_rate=config.max_rate,
        on_request=on_request,
    )
