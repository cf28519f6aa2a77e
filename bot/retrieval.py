"""retrieve(): hybrid search (BM25 + dense Chroma), reciprocal-rank fusion, then MMR diversity.

``score`` on a returned Passage is the cosine similarity between the query and the passage (0..1 in practice):
it is what ``min_score`` filters on and what the refusal decision reads. The order is the fused, diversified one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.embeddings import embed_query, release_memory
from bot.errors import BotError, InputError, NotFoundError, StoreError
from bot.exact import INT8_MIN_ROWS, Int8Rows, best_first, top_rows
from bot.files import Version, VersionedCache
from bot.manifest import (
    for_index_version,
    info_from_entry,
    load_manifest,
    source_text,
    superseded_digests,
    vectors_path,
)
from bot.settings import Settings, get_settings
from bot.store import get_collection, unreachable
from bot.text import STOPWORDS, stem, tokenize
from bot.types import Passage

if TYPE_CHECKING:
    from bot.lc_retriever import BotRetriever, to_langchain  # noqa: F401 - served lazily by __getattr__


@dataclass
class _Index:
    """In-memory view of the manifest: passage table, local vectors and the BM25 model."""

    version: tuple[int, int]
    ids: list[str]
    row_of: dict[str, int]
    source_of: list[str]
    starts: np.ndarray
    ends: np.ndarray
    pages: list[int | None]
    vectors: np.ndarray
    meta: dict[str, dict[str, str]]
    rows_by_source: dict[str, np.ndarray]
    bm25: Any
    idf: dict[str, float]
    source_code: np.ndarray
    superseded: frozenset[str] = frozenset()
    """Digests whose original is indexed too (``manifest.superseded_digests``): not offered as evidence."""
    names: frozenset[str] = frozenset()
    """Stemmed words the sources write as names: capitalised inside a sentence nearly every time ("Honduras")."""
    initialisms: dict[str, str] = field(default_factory=dict)
    """The initials of names the sources write out often, with the name ("es": "El Salvador"); see ``_initialisms``."""
    collection: Any = None
    """The Chroma collection, fetched once per index version (a rebuild rewrites the manifest, so a new one)."""
    int8: Int8Rows | None = None
    """An int8 copy of ``vectors`` that narrows the exact search (built when that search serves this many rows)."""

    def text(self, row: int, settings: Settings) -> str:
        return source_text(self.source_of[row], settings)[int(self.starts[row]) : int(self.ends[row])]

    def passage(self, row: int, settings: Settings, score: float = 0.0) -> Passage:
        """Return the passage at ``row`` with its source's provenance."""
        sid = self.source_of[row]
        meta = self.meta.get(sid, {})
        return Passage(
            id=self.ids[row],
            source_id=sid,
            title=meta.get("title", ""),
            url=meta.get("url", ""),
            text=self.text(row, settings),
            start=int(self.starts[row]),
            end=int(self.ends[row]),
            score=score,
            page=self.pages[row],
            publisher=meta.get("publisher", ""),
            date=meta.get("date", ""),
            digest=meta.get("digest") == "true",
        )


_CACHE: VersionedCache[_Index] = VersionedCache(maxsize=4)


def _load_index(settings: Settings) -> _Index:
    return for_index_version(_CACHE, settings, _build_index_and_release)


def _build_index_and_release(settings: Settings, version: Version) -> _Index:
    index = _build_index(settings, version)

    release_memory()  # building tokenised the whole corpus: give that transient heap back
    return index


def _build_index(settings: Settings, version: Version) -> _Index:
    import bm25s

    manifest = load_manifest(settings)
    ids: list[str] = []
    source_of: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pages: list[int | None] = []
    total = sum(len(entry["passages"]) for entry in manifest.sources.values())
    matrix: np.ndarray | None = None  # sized by the first source's vectors, then filled in place (no second copy)
    corpus_tokens: list[list[str]] = []
    vocab: dict[str, str] = {}  # one string object per distinct token: 100k passages' tokens take ~40 MB, not ~270
    rows_by_source: dict[str, np.ndarray] = {}
    meta: dict[str, dict[str, str]] = {}
    texts: list[str] = []
    for sid in sorted(manifest.sources):
        entry = manifest.sources[sid]
        text = source_text(sid, settings)
        texts.append(text)
        vectors = np.load(vectors_path(settings, sid))
        if len(vectors) != len(entry["passages"]) or (matrix is not None and vectors.shape[1] != matrix.shape[1]):
            raise StoreError(
                f"Stored vectors of {sid!r} do not match its passages.", "Run `python -m bot ingest --rebuild`."
            )
        first = len(ids)
        if matrix is None:
            matrix = np.zeros((total, vectors.shape[1]), dtype=np.float32)
        matrix[first : first + len(vectors)] = vectors
        for pid, start, end, page in entry["passages"]:
            ids.append(pid)
            source_of.append(sid)
            starts.append(start)
            ends.append(end)
            pages.append(page)
            corpus_tokens.append([vocab.setdefault(t, t) for t in tokenize(text[start:end])] or ["_empty_"])
        rows_by_source[sid] = np.arange(first, len(ids))
        meta[sid] = entry.get("meta", {})
    names = _names(texts)
    initialisms = _initialisms(texts, len(ids))
    df: dict[str, int] = {}
    for tokens in corpus_tokens:
        for token in set(tokens):
            df[token] = df.get(token, 0) + 1
    n_docs = max(len(corpus_tokens), 1)
    idf = {t: float(np.log((n_docs + 1) / (d + 0.5))) for t, d in df.items()}
    bm25 = None
    if ids:
        bm25 = bm25s.BM25()
        bm25.index(corpus_tokens, show_progress=False)
    if matrix is None:
        matrix = np.zeros((0, 1), dtype=np.float32)
    code_of = {sid: i for i, sid in enumerate(rows_by_source)}
    return _Index(
        version=version,
        ids=ids,
        row_of={pid: i for i, pid in enumerate(ids)},
        source_of=source_of,
        starts=np.asarray(starts, dtype=np.int64),
        ends=np.asarray(ends, dtype=np.int64),
        pages=pages,
        vectors=matrix,
        meta=meta,
        rows_by_source=rows_by_source,
        bm25=bm25,
        idf=idf,
        source_code=np.asarray([code_of[sid] for sid in source_of], dtype=np.int64),
        superseded=frozenset(superseded_digests([info_from_entry(s, e) for s, e in manifest.sources.items()])),
        names=names,
        initialisms=initialisms,
        int8=Int8Rows.of(matrix) if _exact_serves(settings, len(ids)) and len(ids) >= INT8_MIN_ROWS else None,
    )


_NAME_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*")
NAME_SHARE = 0.9
"""A word is a name when at least this share of its occurrences inside a sentence are capitalised."""


def _names(texts: list[str]) -> frozenset[str]:
    """Return the stems of the words these texts write as names (not counting a sentence's first word)."""
    upper: dict[str, int] = {}
    seen: dict[str, int] = {}
    for text in texts:
        for m in _NAME_WORD.finditer(text):
            before = text[max(0, m.start() - 3) : m.start()].rstrip()
            if not before or before[-1] in '.!?:"“”\n(#*-':
                continue  # a sentence's or a heading's first word is capitalised whatever it is
            word = m.group(0).lower()
            seen[word] = seen.get(word, 0) + 1
            if m.group(0)[0].isupper():
                upper[word] = upper.get(word, 0) + 1
    return frozenset(stem(w) for w, n in seen.items() if upper.get(w, 0) >= NAME_SHARE * n and w not in STOPWORDS)


_NAME_RUN = re.compile(
    r"[A-ZÀ-Þ][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)*(?:(?:\s+(?:of|for|the|and|on|de|del|la|los|las|y))*\s+[A-ZÀ-Þ][a-zà-ÿ]+"
    r"(?:-[A-Z][a-zà-ÿ]+)*)+"
)
_RUN_WORD = re.compile(r"[A-ZÀ-Þ][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)*")
INITIALISM_SHARE = 0.05
"""A name's initials stand for it when the sources write the name, whole, at least once for every twenty passages,
and it is at least half of the names with those initials: the topic's main names ("es": "El Salvador", 130 times
in 359 passages), not one written a few times ("ag" stays unread: "Attorney General" four times, "Abrego Garcia"
five)."""
_LEADING_ARTICLE = re.compile(r"^(?:The|A|An)\s+")


def _initialisms(texts: list[str], passages: int) -> dict[str, str]:
    """Return the initials (2-5 letters, lower case) of the multi-word names the texts write most (see
    ``INITIALISM_SHARE``), each with its name: how a debater types "es" for a name the sources only spell out. A
    hyphenated word gives one letter per part ("Inter-American": "ia")."""
    seen: dict[str, dict[str, int]] = {}
    for text in texts:
        for run in _NAME_RUN.finditer(text):
            name = _LEADING_ARTICLE.sub("", run.group(0))
            letters = "".join(p[0] for w in _RUN_WORD.findall(name) for p in w.split("-")).lower()
            if 2 <= len(letters) <= 5:
                by_name = seen.setdefault(letters, {})
                by_name[name] = by_name.get(name, 0) + 1
    out = {}
    for letters, by_name in seen.items():
        name, n = max(by_name.items(), key=lambda kv: (kv[1], kv[0]))
        if n >= max(2, INITIALISM_SHARE * passages) and n * 2 >= sum(by_name.values()):
            out[letters] = name
    return out


def spell_out_initials(question: str, settings: Settings | None = None) -> str:
    """Return the question with each word that no source uses but that is the initials of a name the sources write
    out often spelt out ("came to es" -> "came to El Salvador"), so that retrieval and the embedding read the name."""
    index = _load_index(settings or get_settings())
    if not index.initialisms:
        return question

    def swap(m: re.Match[str]) -> str:
        word = m.group(1)
        if word.lower() in index.idf or word.lower() not in index.initialisms:
            return m.group(0)
        return index.initialisms[word.lower()] + m.group(2)

    return re.sub(r"(?<![\w.-])([a-z]{2,5})((?:'s|’s)?)(?![\w-])", swap, question)


def term_weights(text: str, settings: Settings | None = None) -> dict[str, float]:
    """Return the query's content terms with their IDF in the index; a term the index never saw gets the highest."""
    index = _load_index(settings or get_settings())
    top = max(index.idf.values(), default=1.0)
    return {t: index.idf.get(t, top) for t in tokenize(text)}


def superseded_sources(settings: Settings | None = None) -> frozenset[str]:
    """Return the digests whose original is indexed too (computed once per index version)."""
    return _load_index(settings or get_settings()).superseded


def index_idf(settings: Settings | None = None) -> dict[str, float]:
    """Return the IDF of every term of the index (BM25 over passages)."""
    return _load_index(settings or get_settings()).idf


def index_names(settings: Settings | None = None) -> frozenset[str]:
    """Return the stemmed words the indexed sources write as names ("honduras", "boasberg")."""
    return _load_index(settings or get_settings()).names


def unknown_terms(text: str, settings: Settings | None = None) -> list[str]:
    """Return the query's content terms that occur nowhere in the index.

    Words that say nothing of what is asked are not counted, though a source may never use them: a stop word
    that a typed contraction hides ("whats"), an ordinal typed short ("1st"), and the filler of typed questions
    (``FILLER``: "actually", "something", "getting").
    """
    index = _load_index(settings or get_settings())
    return [
        t
        for t in dict.fromkeys(tokenize(text))
        if t not in index.idf and t not in STOPWORDS and t not in _FILLER_STEMS and not _ORDINAL.fullmatch(t)
    ]


FILLER = frozenset(
    """actually really just basically even still ever exactly anything something everything nothing someone anyone
    thing things stuff get gets getting got gotten ex pre kind sort lot lots""".split()
)
"""Words of typed questions that name nothing asked about ("how big is cecot compared to something americans
know"): never an unknown term."""
_FILLER_STEMS = frozenset(stem(w) for w in FILLER)
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")


def clear_cache() -> None:
    """Drop the in-memory indexes (they reload by themselves when the manifest changes)."""
    _CACHE.clear()


def check_query(query: object, settings: Settings, what: str = "query") -> str:
    """Return the query stripped, or raise InputError saying what is wrong with it."""
    if not isinstance(query, str):
        raise InputError(f"The {what} must be text, not {type(query).__name__}.", f"Pass the {what} as a string.")
    cleaned = "".join(ch for ch in query if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise InputError(f"The {what} is empty.", f"Type a {what} with at least one word.")
    if len(cleaned) > settings.max_question_chars:
        raise InputError(
            f"The {what} is {len(cleaned):,} characters long; the limit is {settings.max_question_chars:,}.",
            "Shorten it, or raise BOT_MAX_QUESTION_CHARS.",
        )
    if not any(ch.isalnum() for ch in cleaned):
        raise InputError(f"The {what} has no letters or digits.", f"Type a {what} in words.")
    return cleaned


def check_count(value: object, name: str, limit: int, setting: str) -> int:
    """Return a whole number between 1 and ``limit``, or raise InputError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be a whole number, not {value!r}.", f"Pass {name} between 1 and {limit}.")
    if not 1 <= int(value) <= limit:
        raise InputError(f"{name}={value} is out of range.", f"Pass {name} between 1 and {limit} ({setting}).")
    return int(value)


def retrieve(
    query: str,
    k: int = 5,
    *,
    sources: list[str] | None = None,
    min_score: float | None = None,
    settings: Settings | None = None,
) -> list[Passage]:
    """Return up to k diverse passages for the query, best first (hybrid BM25 + dense, fused, then MMR)."""
    settings = settings or get_settings()
    query = check_query(query, settings)
    k = check_count(k, "k", settings.retrieval_max_k, "BOT_RETRIEVAL_MAX_K")
    if min_score is not None and not -1.0 <= float(min_score) <= 1.0:
        raise InputError(f"min_score={min_score} is out of range.", "Pass a cosine similarity between -1 and 1.")
    index = _load_index(settings)
    if not index.ids:
        raise StoreError("The index is empty: nothing has been ingested.", "Run `python -m bot ingest` first.")
    allowed = _allowed_rows(index, sources)

    qvec = embed_query(query, settings)
    n_cand = min(max(settings.retrieval_candidates, k * 3), len(index.ids) if allowed is None else len(allowed))
    dense_rows = _dense(qvec, n_cand, sources, allowed, index, settings)
    bm25_rows = _bm25(query, n_cand, allowed, index)

    fused: dict[int, float] = {}
    for weight, ranking in ((settings.retrieval_dense_weight, dense_rows), (settings.retrieval_bm25_weight, bm25_rows)):
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + weight / (settings.retrieval_rrf_k + rank + 1)
    if not fused:
        return []
    rows = np.fromiter(fused, dtype=np.int64)
    relevance = np.fromiter(fused.values(), dtype=np.float64)
    cosine = index.vectors[rows] @ qvec
    if min_score is not None:
        keep = cosine >= float(min_score)
        rows, relevance, cosine = rows[keep], relevance[keep], cosine[keep]
    chosen = _mmr(rows, relevance / relevance.max() if len(relevance) else relevance, index, k, settings)
    return [index.passage(int(rows[i]), settings, float(cosine[i])) for i in chosen]


def _allowed_rows(index: _Index, sources: list[str] | None) -> np.ndarray | None:
    if sources is None:
        return None
    if isinstance(sources, str):
        sources = [sources]
    unknown = [s for s in sources if s not in index.rows_by_source]
    if unknown:
        known = ", ".join(sorted(index.rows_by_source)[:10])
        raise NotFoundError(
            f"Unknown source id(s): {', '.join(map(repr, unknown))}.",
            f"Use ids from `python -m bot sources` (e.g. {known}).",
        )
    if not sources:
        raise InputError("sources=[] selects nothing.", "Pass None to search every source, or at least one id.")
    return np.concatenate([index.rows_by_source[s] for s in sources])


def _dense(
    qvec: np.ndarray, n: int, sources: list[str] | None, allowed: np.ndarray | None, index: _Index, settings: Settings
) -> list[int]:
    if _exact_serves(settings, len(index.ids)):
        return _exact(qvec, n, allowed, index)
    where: Any = None
    if sources:
        where = {"source_id": sources[0]} if len(sources) == 1 else {"source_id": {"$in": list(sources)}}
    try:
        if index.collection is None:
            index.collection = get_collection(settings)
        result = index.collection.query(query_embeddings=[qvec], n_results=n, where=where, include=[])
    except BotError:
        raise
    except Exception as exc:  # httpx and chromadb raise unrelated types when the server is gone
        if settings.chroma_mode != "server":
            raise

        index.collection = None
        raise unreachable(exc, settings) from exc
    return [index.row_of[pid] for pid in result["ids"][0] if pid in index.row_of]


def _exact_serves(settings: Settings, rows: int) -> bool:
    """Whether the dense ranking of an index of ``rows`` passages is the in-memory exact search (else Chroma's)."""
    return settings.chroma_mode == "embedded" and rows <= settings.retrieval_exact_max


def _exact(qvec: np.ndarray, n: int, allowed: np.ndarray | None, index: _Index) -> list[int]:
    """Return the n rows nearest the query by cosine (the stored vectors are unit length), best first."""
    if allowed is None:
        return [int(r) for r in top_rows(index.vectors, qvec, n, index.int8)]
    return [int(r) for r in allowed[top_rows(index.vectors[allowed], qvec, n)]]


def _bm25(query: str, n: int, allowed: np.ndarray | None, index: _Index) -> list[int]:
    tokens = [t for t in tokenize(query) if t in index.bm25.vocab_dict]
    if not tokens or n <= 0:
        return []
    mask = None
    if allowed is not None:
        mask = np.zeros(len(index.ids), dtype=np.float32)
        mask[allowed] = 1.0
    # Scored directly (no bm25s.retrieve: its per-query set-up costs more than the scoring), and only the passages
    # holding a query word are ranked, equal scores in row order.
    scores = index.bm25.get_scores_from_ids(index.bm25.get_tokens_ids(tokens), weight_mask=mask)
    hits = np.flatnonzero(scores > 0)
    return [int(r) for r in hits[best_first(scores[hits], n)]]


def _mmr(rows: np.ndarray, relevance: np.ndarray, index: _Index, k: int, settings: Settings) -> list[int]:
    """Pick k indices into ``rows``: relevant, and unlike what was already picked (vectors or overlapping text)."""
    lam = settings.retrieval_mmr_lambda
    vectors = index.vectors[rows]
    codes = index.source_code[rows]
    starts, ends = index.starts[rows], index.ends[rows]
    lengths = ends - starts
    alive = np.ones(len(rows), dtype=bool)
    best_sim = np.full(len(rows), -np.inf)
    chosen: list[int] = []
    for _ in range(min(k, len(rows))):
        scores = lam * relevance - (1 - lam) * best_sim if chosen else relevance
        pick = int(np.argmax(np.where(alive, scores, -np.inf)))  # the first of equals: the better-ranked one
        chosen.append(pick)
        alive[pick] = False
        # One column at a time (k matrix-vector products), not the full similarity matrix: a matrix product this
        # small costs ~15 ms instead of ~0.03 ms when BLAS threads must wait for cores that torch keeps busy.
        sim = (vectors @ vectors[pick]).astype(np.float64)
        overlap = np.minimum(ends, ends[pick]) - np.maximum(starts, starts[pick])
        same = (codes == codes[pick]) & (overlap > 0)
        if same.any():  # overlapping text of one source counts as similar as its share of the shorter passage
            share = overlap[same] / np.minimum(lengths[same], lengths[pick])
            sim[same] = np.maximum(sim[same], share)
        best_sim = np.maximum(best_sim, sim)
    return chosen


def passage_vectors(passages: list[Passage], settings: Settings | None = None) -> np.ndarray:
    """Return the stored vectors of passages (no re-embedding)."""
    settings = settings or get_settings()
    index = _load_index(settings)
    rows = [index.row_of[p.id] for p in passages]
    return index.vectors[rows]


def passage_at(source_id: str, offset: int, settings: Settings | None = None) -> Passage | None:
    """Return the indexed passage of a source that holds the character at ``offset`` (score 0), or None."""
    settings = settings or get_settings()
    index = _load_index(settings)
    rows = index.rows_by_source.get(source_id)
    if rows is None or not len(rows):
        return None
    starts = index.starts[rows]
    at = int(np.searchsorted(starts, offset, side="right")) - 1
    for row in rows[max(at - 1, 0) : at + 2]:  # passages may overlap: the ones around the last start at or before it
        if index.starts[row] <= offset < index.ends[row]:
            return index.passage(int(row), settings)
    return None


def all_passages(settings: Settings | None = None, sources: list[str] | None = None) -> list[Passage]:
    """Return every indexed passage (score 0), optionally only from some sources."""
    settings = settings or get_settings()
    index = _load_index(settings)
    allowed = _allowed_rows(index, sources)
    rows = range(len(index.ids)) if allowed is None else [int(r) for r in allowed]
    return [index.passage(row, settings) for row in rows]


def __getattr__(name: str) -> Any:
    # LangChain's retriever classes cost a second of imports: loaded only when someone asks for them.
    if name in ("BotRetriever", "to_langchain"):
        from bot import lc_retriever

        return getattr(lc_retriever, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
