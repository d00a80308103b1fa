"""Search (accounts, posts, hashtags) and hashtag timelines (mixed into Microblog).

What a query means (``interpret``): a link to an account, a post or a hashtag of this
server finds that one; ``@name`` and ``name@this-host`` find that account exactly (one of
another server: nobody, since nothing federates here); anything else finds the accounts
whose username or display name starts with it, the hashtags that start with it (less a
leading ``#``), and the posts whose text matches it as a web search (words, ``"a phrase"``,
``-word``, ``or``). Posts are searched for logged-in readers only, as on Mastodon, among
those they may see, without the accounts they mute or block or that block them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from psycopg_pool import AsyncConnectionPool

from microblog.domain import rules
from microblog.domain.errors import Invalid, NotFound
from microblog.domain.models import Page, Post, User
from microblog.domain.types import Conn, Window
from microblog.store import posts, search
from microblog.store.replicas import Reads
from microblog.store.search import Hashtag

__all__ = ["SEARCH_TYPES", "Hashtag", "Results", "SearchType", "SearchVerbs", "Terms"]

SearchType = Literal["accounts", "statuses", "hashtags"]
SEARCH_TYPES: tuple[SearchType, ...] = ("accounts", "statuses", "hashtags")
MAX_QUERY_CHARS = 500
MAX_TAG_FILTERS = 10
_ACCT = re.compile(r"@?([A-Za-z0-9_]{1,30})@([^@\s/]+)")
_AT_NAME = re.compile(r"@([A-Za-z0-9_]{1,30})")
_POST_PATH = re.compile(r"/posts/([0-9]{1,19})/?")
_ACCOUNT_PATH = re.compile(r"/(?:@|users/)([A-Za-z0-9_]{1,30})/?")
_TAG_PATH = re.compile(r"/tags/([^/]+)/?")
_TAG_START = re.compile(rf"\w{{1,{rules.MAX_TAG_CHARS}}}")


@dataclass(frozen=True, slots=True)
class Terms:
    """What to look for, once a query is understood (``interpret``)."""

    text: str | None = None  # the full-text query for posts
    account_prefix: str | None = None  # lower-cased
    account_exact: str | None = None  # a username, lower-cased
    tag_prefix: str | None = None
    tag_exact: str | None = None
    post_id: int | None = None


@dataclass(frozen=True, slots=True)
class Results:
    """What a search found (Mastodon's v2 Search: accounts, statuses, hashtags)."""

    accounts: list[User]
    statuses: list[Post]
    hashtags: list[Hashtag]


NOTHING = Results([], [], [])
EVERY_ID = Window()


def query_text(raw: object) -> str:
    """The search query, trimmed; ``Invalid`` (422) when missing, empty or too long."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise Invalid("Type something to search for (q is required)", "q")
    if not isinstance(raw, str):
        raise Invalid("q must be text", "q")
    text = rules.storable(raw, "q").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise Invalid(f"The search is too long (at most {MAX_QUERY_CHARS} characters)", "q")
    return text


def interpret(text: str, origin: str) -> Terms:
    """What a (trimmed, non-empty) query looks for; ``origin`` is this server's public URL,
    to know its own links and accounts (``name@host``)."""
    host = urlsplit(origin).netloc.lower()
    lowered = text.lower()
    if lowered.startswith(("http://", "https://")):
        return _link(text, host)
    acct = _ACCT.fullmatch(text)
    if acct is not None:
        local = acct.group(2).lower() == host
        return Terms(text=text, account_exact=acct.group(1).lower() if local else None)
    at_name = _AT_NAME.fullmatch(text)
    if at_name is not None:
        return Terms(text=text, account_exact=at_name.group(1).lower())
    return Terms(text=text, account_prefix=lowered, tag_prefix=_tag_prefix(text))


def _tag_prefix(text: str) -> str | None:
    """The start of a hashtag's name as stored (``rules.tag_name``'s normal form, though
    perhaps no letter yet: ``#2`` finds ``#2024``), or None when no hashtag starts so."""
    name = unicodedata.normalize("NFKC", text.removeprefix("#")).lower()
    return name if _TAG_START.fullmatch(name) else None


def _link(url: str, host: str) -> Terms:
    """A link finds what it links to on this server, and nothing elsewhere."""
    parts = urlsplit(url)
    if parts.netloc.lower() != host:
        return Terms()
    path = unquote(parts.path)
    if found := _POST_PATH.fullmatch(path):
        return Terms(post_id=int(found.group(1)))
    if found := _ACCOUNT_PATH.fullmatch(path):
        return Terms(account_exact=found.group(1).lower())
    if (found := _TAG_PATH.fullmatch(path)) and (tag := rules.tag_name(found.group(1))):
        return Terms(tag_exact=tag)
    return Terms()


class SearchVerbs:
    """Search (accounts, posts, hashtags) and hashtag timelines (mixed into Microblog)."""

    pool: AsyncConnectionPool[Conn]
    reads: Reads

    async def search(
        self,
        reader_id: int | None,
        query: object,
        origin: str,
        types: Collection[SearchType] = SEARCH_TYPES,
        limit: int = 20,
        offset: int = 0,
        following: bool = False,
        account_id: int | None = None,
        window: Window = EVERY_ID,
    ) -> Results:
        """Accounts, posts and hashtags a query finds (``interpret``), ``limit`` of each
        after skipping ``offset``. Posts only for a reader (Mastodon searches none for
        visitors), and a visitor gets no further page than the first; ``following``: only
        accounts the reader follows; ``account_id``: only that account's posts; ``window``:
        only posts whose ids are in it (``max_id``, ``min_id``)."""
        terms = interpret(query_text(query), origin)
        if reader_id is None and offset > 0:
            return NOTHING

        async def read(conn: Conn) -> Results:
            accounts = []
            if "accounts" in types:
                accounts = await _accounts(conn, terms, reader_id, following, limit, offset)
            statuses = []
            if "statuses" in types and reader_id is not None:
                statuses = await _statuses(
                    conn, terms, reader_id, account_id, window, limit, offset
                )
            hashtags = []
            if "hashtags" in types:
                hashtags = await _hashtags(conn, terms, limit, offset)
            return Results(accounts, statuses, hashtags)

        return await self.reads.run(reader_id, read)

    async def hashtag(self, name: str) -> Hashtag:
        """A hashtag with how many public posts carry it (any well-formed name: 0 when unused);
        ``NotFound`` for a name that is no hashtag."""
        tag = _tag_or_404(name)
        return await self.reads.run(None, lambda conn: search.hashtag(conn, tag))

    async def tag_timeline(
        self,
        reader_id: int | None,
        name: str,
        window: Window,
        limit: int,
        any_of: Sequence[str] = (),
        all_of: Sequence[str] = (),
        none_of: Sequence[str] = (),
    ) -> Page:
        """One page of the public posts carrying a hashtag (or any of ``any_of``; each of
        ``all_of`` too; none of ``none_of``), newest first, less those by accounts the
        reader (None: anyone) mutes or blocks or is blocked by. ``NotFound`` for a name that
        is no hashtag; ``Invalid`` for a filter that is none."""
        tags = list(dict.fromkeys([_tag_or_404(name), *_tag_list(any_of, "any[]")]))
        every, without = _tag_list(all_of, "all[]"), _tag_list(none_of, "none[]")

        async def merged(conn: Conn, window: Window, count: int) -> list[int]:
            # Each tag's page is one walk of its (tag, post_id) key; the page of their union
            # is among the union of those pages.
            found: set[int] = set()
            for tag in tags:
                ids = await search.tag_timeline(conn, tag, reader_id, window, count, every, without)
                found.update(ids)
            ordered = sorted(found, reverse=not window.oldest_first)[:count]
            return ordered[::-1] if window.oldest_first else ordered

        async def read(conn: Conn) -> Page:
            cursor = None
            if window.oldest_first:
                found = await merged(conn, window, limit)
                older = Window(below=found[-1] if found else 0)
                if found and await merged(conn, older, 1):
                    cursor = found[-1]
            else:
                found = await merged(conn, window, limit + 1)
                if len(found) > limit:
                    found, cursor = found[:limit], found[limit - 1]
            return Page(await posts.hydrate(conn, found, reader_id), cursor)

        return await self.reads.run(reader_id, read)


def _tag_or_404(name: str) -> str:
    rules.storable(name, "hashtag")
    tag = rules.tag_name(name.strip())
    if tag is None:
        raise NotFound(f"No such hashtag: {name[:100]!r}")
    return tag


def _tag_list(raw: Sequence[str], field: str) -> list[str]:
    if len(raw) > MAX_TAG_FILTERS:
        raise Invalid(f"{field} takes at most {MAX_TAG_FILTERS} hashtags", field)
    tags = []
    for value in raw:
        tag = rules.tag_name(rules.storable(value, field).strip())
        if tag is None:
            raise Invalid(f"{field} holds {value[:100]!r}, which is not a hashtag", field)
        tags.append(tag)
    return list(dict.fromkeys(tags))


async def _accounts(
    conn: Conn, terms: Terms, reader_id: int | None, following: bool, limit: int, offset: int
) -> list[User]:
    if following and reader_id is None:
        return []  # a visitor follows nobody
    if terms.account_exact is not None:
        if offset > 0:
            return []
        found = await search.account_named(conn, terms.account_exact, reader_id, following)
        return [] if found is None else [found]
    if terms.account_prefix is None:
        return []
    return await search.accounts(conn, terms.account_prefix, reader_id, following, limit, offset)


async def _statuses(
    conn: Conn,
    terms: Terms,
    reader_id: int,
    account_id: int | None,
    window: Window,
    limit: int,
    offset: int,
) -> list[Post]:
    if terms.post_id is not None:
        if offset > 0:
            return []
        # A link to a boost finds the boosted post (search finds posts, not boosts).
        found = [p.shown for p in await posts.hydrate(conn, [terms.post_id], reader_id, True)]
        return [p for p in found if account_id is None or p.author.id == account_id]
    if terms.text is None:
        return []
    ids = await search.statuses(conn, terms.text, reader_id, account_id, window, limit, offset)
    # Already filtered for the reader by the search itself.
    return await posts.hydrate(conn, ids, reader_id, check=False)


async def _hashtags(conn: Conn, terms: Terms, limit: int, offset: int) -> list[Hashtag]:
    if terms.tag_exact is not None:
        return [await search.hashtag(conn, terms.tag_exact)] if offset == 0 else []
    if terms.tag_prefix is None:
        return []
    return await search.hashtags(conn, terms.tag_prefix, limit, offset)
