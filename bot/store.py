"""The only place a Chroma client is made: embedded PersistentClient, or HttpClient when a host is set.

chromadb is used directly rather than through langchain-chroma: ingest needs stable ids, batched upserts of
vectors we computed ourselves, deletes by source and raw ranked ids for fusion, and one layer less keeps
``retrieve()`` close to the raw query floor. LangChain users get ``bot.retrieval.BotRetriever`` instead.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from bot.errors import StoreError
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

_LOCK = threading.Lock()


@functools.cache
def _client(mode: str, location: str, port: int, ssl: bool) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if mode == "server":
        try:
            client = chromadb.HttpClient(host=location, port=port, ssl=ssl, settings=chroma_settings)
            client.heartbeat()
        except Exception as exc:  # chromadb raises several unrelated types for an unreachable server
            raise StoreError(
                f"Cannot reach the Chroma server at {location}:{port} ({exc}).",
                "Start it (`chroma run --path DIR --port PORT`) or unset BOT_CHROMA_HOST to use the embedded store.",
            ) from exc
        return client
    return chromadb.PersistentClient(path=location, settings=chroma_settings)


def get_client(settings: Settings | None = None) -> ClientAPI:
    """Return the (cached) Chroma client the settings ask for."""
    settings = settings or get_settings()
    with _LOCK:
        if settings.chroma_mode == "server":
            assert settings.chroma_host is not None
            return _client("server", settings.chroma_host, settings.chroma_port, settings.chroma_ssl)
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return _client("embedded", str(settings.chroma_path), 0, False)


def get_collection(settings: Settings | None = None) -> Collection:
    """Return the passages collection (cosine space; vectors always supplied by us, never by Chroma)."""
    settings = settings or get_settings()
    client = get_client(settings)
    metadata: dict[str, Any] = {"embedding_model": settings.embedding_model}
    collection = client.get_or_create_collection(
        settings.chroma_collection,
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
        metadata=metadata,
    )
    stored_model = (collection.metadata or {}).get("embedding_model")
    if stored_model and stored_model != settings.embedding_model:
        raise StoreError(
            f"The index was built with embedding model {stored_model!r}, not {settings.embedding_model!r}.",
            "Run `python -m bot ingest --rebuild` to re-embed everything with the new model.",
        )
    return collection


def drop_collection(settings: Settings | None = None) -> None:
    """Delete the passages collection (used by a full rebuild)."""
    settings = settings or get_settings()
    client = get_client(settings)
    if settings.chroma_collection in [c.name for c in client.list_collections()]:
        client.delete_collection(settings.chroma_collection)


def reset_clients() -> None:
    """Forget cached clients: the next call connects afresh (after a Chroma server went away and came back)."""
    with _LOCK:
        _client.cache_clear()


def unreachable(exc: Exception, settings: Settings) -> StoreError:
    """Return the error to raise when a call to the Chroma server failed; the next call reconnects."""
    reset_clients()
    where = f"{settings.chroma_host}:{settings.chroma_port}"
    return StoreError(
        f"The Chroma server at {where} did not answer ({type(exc).__name__}: {exc}).",
        "Check that it is running (`chroma run --path DIR --port PORT`); the bot reconnects by itself when it is back.",
    )
