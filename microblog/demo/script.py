"""What happens in the demo's last hours: conversations, replies, mentions, favourites, boosts
and follows, acted by a small cast around the demo user. Data only, no I/O.

Actors are roles, not accounts: ``me`` is the demo user (the one ``make run`` announces),
``f1`` .. ``f6`` people ``me`` follows, ``o1`` .. ``o3`` people ``me`` does not follow (their
posts reach ``me``'s home timeline only as boosts). ``microblog.demo.enliven`` casts them.
A text names others as ``@{role}``, filled in with the role's username. Every step says how
many minutes before "now" it happened; the steps are in time order, so ids are too.
"""

from __future__ import annotations

from typing import NamedTuple

ME = "me"
FRIENDS = ("f1", "f2", "f3", "f4", "f5", "f6")
OUTSIDERS = ("o1", "o2", "o3")


class Write(NamedTuple):
    """A post (a reply when ``reply_to`` names an earlier ``Write``'s key)."""

    ago: int
    author: str
    key: str
    text: str
    reply_to: str | None = None


class Favourite(NamedTuple):
    """``who`` favourites the post written as ``key``."""

    ago: int
    who: str
    key: str


class Boost(NamedTuple):
    """``who`` boosts the post written as ``key``."""

    ago: int
    who: str
    key: str


class Follow(NamedTuple):
    """``who`` follows ``whom``."""

    ago: int
    who: str
    whom: str


Step = Write | Favourite | Boost | Follow

SCRIPT: tuple[Step, ...] = (
    *(Follow(240, ME, friend) for friend in FRIENDS),
    Follow(236, "f1", ME),
    Follow(233, "f3", ME),
    Write(
        225,
        "f1",
        "tz",
        "Finally fixed the flaky test that haunted our build for a month. "
        "It was a timezone. It is always a timezone.",
    ),
    Write(
        220,
        "f2",
        "tz2",
        "@{f1} the classic! Was it the one that only failed after midnight UTC?",
        "tz",
    ),
    Favourite(219, ME, "tz"),
    Write(
        214,
        "f1",
        "tz3",
        "@{f2} only between midnight and one, and only on the last day of the month. "
        "Found it by staying up, of course.",
        "tz2",
    ),
    Write(
        205,
        ME,
        "tz4",
        "@{f1} @{f2} framing this thread for the next person who says dates are easy.",
        "tz3",
    ),
    Write(198, "f3", "tz5", "@{me} add daylight saving time and it becomes a triptych.", "tz4"),
    Favourite(197, "f1", "tz4"),
    Write(
        190,
        ME,
        "river",
        "Morning walk by the river: fog on the water, two herons, no notifications. "
        "Recommended. #walk",
    ),
    Favourite(188, "f4", "river"),
    Favourite(186, "f2", "river"),
    Write(182, "f4", "river2", "@{me} the herons are back? I thought they had left.", "river"),
    Follow(180, "f5", ME),
    Write(
        176, ME, "river3", "@{f4} two of them, standing very still, judging the joggers.", "river2"
    ),
    Favourite(175, "f4", "river3"),
    Write(
        170,
        "f5",
        "books",
        "Which book got you through this month? Mine was a slow one about bridges and the "
        "people who build them. #books",
    ),
    Write(
        165, "f6", "books2", "@{f5} a cookbook. I read it like a novel and cook nothing.", "books"
    ),
    Write(160, ME, "books3", "@{f5} short stories: one a night, before sleep.", "books"),
    Favourite(158, "f5", "books3"),
    Write(152, "f5", "books4", "@{me} what a lovely habit. Which collection?", "books3"),
    Write(
        150,
        "o1",
        "bread",
        "Public service announcement: the market on the square has fresh bread again. "
        "Go early, it sells out by ten. #city",
    ),
    Write(
        147,
        ME,
        "books5",
        "@{f5} I'll bring it on Saturday: easier to lend than to describe.",
        "books4",
    ),
    Favourite(146, "f5", "books5"),
    Boost(140, "f2", "bread"),
    Write(
        135,
        "f3",
        "release",
        "Release day! Our little map app now has offline maps and a dark mode. Thanks @{f1} "
        "and @{f6} for testing it on real hills.",
    ),
    Favourite(133, "f1", "release"),
    Favourite(131, ME, "release"),
    Favourite(130, "o2", "release"),
    Write(
        128,
        "f6",
        "release2",
        "@{f3} congratulations! The hills were real. So was the rain.",
        "release",
    ),
    Boost(122, "f3", "river"),
    Write(118, "f1", "release3", "@{f3} well done. Now please sleep for a day.", "release"),
    Favourite(116, "f3", "release3"),
    Write(
        110,
        "f4",
        "baking",
        "Baked bread for the first time. It is flat, dense, and I am extremely proud of it.",
    ),
    Write(
        104,
        ME,
        "baking2",
        "@{f4} flat bread is still bread! Next time give it another hour to rise.",
        "baking",
    ),
    Write(99, "f4", "baking3", "@{me} another hour? It already took all afternoon.", "baking2"),
    Write(
        95,
        "f2",
        "baking4",
        "@{f4} @{me} patience is the secret ingredient. Also a warm kitchen.",
        "baking3",
    ),
    Favourite(93, "f4", "baking4"),
    Write(
        90,
        "f2",
        "soup",
        "Team lunch: someone ordered soup for twelve and forgot the spoons. We drank it from "
        "coffee cups. Best meeting this week.",
    ),
    Favourite(88, ME, "soup"),
    Write(85, "o2", "bike", "Tiny victory: my bike chain no longer squeaks. The street can sleep."),
    Write(
        80,
        "f5",
        "cat",
        "Asking for a friend: is it normal for a cat to sleep on the keyboard only during "
        "meetings? @{f2} you have three cats, help.",
    ),
    Write(74, "f2", "cat2", "@{f5} completely normal. They know when you're on camera.", "cat"),
    Favourite(73, "f5", "cat2"),
    Write(
        70,
        ME,
        "notes",
        "Reading my notes from a year ago. Past me worried about things that never happened. "
        "Present me is trying to learn from that. #notes",
    ),
    Favourite(68, "f6", "notes"),
    Favourite(67, "f3", "notes"),
    Write(65, "f3", "notes2", "@{me} future you will say the same about today. Be kind.", "notes"),
    Boost(60, "f6", "bike"),
    Write(
        55,
        "f6",
        "train",
        "Trains are late because of the storm, so the whole station is sharing snacks and "
        "stories. Strangers are nice.",
    ),
    Favourite(52, "f4", "train"),
    Write(48, ME, "train2", "@{f6} stay warm! Save me a story.", "train"),
    Write(
        40,
        "o3",
        "door",
        "Spent the evening painting the kitchen door blue. Now the door is blue and so am I.",
    ),
    Write(
        35,
        "f1",
        "review",
        "Code review tip: leave one kind comment for every question. The code gets better, "
        "and so does the team.",
    ),
    Favourite(33, ME, "review"),
    Favourite(32, "f3", "review"),
    Favourite(31, "f4", "review"),
    Write(
        30, "f5", "review2", "@{f1} adding this to our team guide, with your name on it.", "review"
    ),
    Write(
        27,
        "f2",
        "review3",
        "@{f1} and say thank you when the fix lands. Works every time.",
        "review",
    ),
    Follow(26, "o1", ME),
    Write(
        25,
        "f4",
        "puzzle",
        "Quiet evening: tea, rain on the window and a half-finished puzzle of a lighthouse.",
    ),
    Favourite(22, "f5", "puzzle"),
    Write(
        20,
        "f3",
        "walk",
        "@{me} are we still on for the walk tomorrow morning? They say the fog is back.",
    ),
    Write(14, ME, "walk2", "@{f3} yes! The bridge at eight. Bring the good coffee.", "walk"),
    Write(12, "f5", "walk5", "@{f3} @{me} a walk in the fog? Count me in next time.", "walk"),
    Write(10, "f3", "walk3", "@{me} deal. The good coffee.", "walk2"),
    Boost(8, "f1", "door"),
    Write(7, "f2", "walk4", "@{f3} @{me} can I join? I'll bring bread. Not mine, though.", "walk3"),
    Favourite(6, "f3", "walk4"),
    Write(
        5,
        "f6",
        "snow",
        "First snow of the year outside the office window. Everyone stopped typing for a minute.",
    ),
    Favourite(4, ME, "walk4"),
    Favourite(4, "f4", "snow"),
    Write(3, "f4", "snow2", "@{f6} here too! The whole street went quiet, even the dogs.", "snow"),
    Favourite(2, "f1", "snow"),
    Favourite(2, ME, "snow"),
    Favourite(1, "f6", "snow2"),
)
"""The demo's last four hours, oldest first."""
