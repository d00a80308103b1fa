"""Display names for the demo's accounts: a first and a last name, the same for the same plan.
No I/O."""

from __future__ import annotations

from microblog.seeding import SeedPlan

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Anna", "Ben", "Carla", "Chen", "Dario", "Eli", "Elif", "Emma",
    "Femi", "Grace", "Hana", "Ines", "Ivan", "Jonas", "Kai", "Lea", "Leo", "Lina", "Luca",
    "Maya", "Mei", "Mira", "Nadia", "Noah", "Omar", "Pia", "Priya", "Rafael", "Rosa", "Sami",
    "Sofia", "Tariq", "Theo", "Uma", "Vera", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Alvarez", "Bakker", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
    "Haddad", "Ito", "Jansen", "Kaur", "Keller", "Kim", "Kowalski", "Larsen", "Lopez",
    "Mendes", "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Park", "Petrov", "Quinn",
    "Rossi", "Santos", "Schmidt", "Silva", "Tanaka", "Torres", "Virtanen", "Walsh", "Weber",
    "Yilmaz", "Zhang",
)  # fmt: skip
MAX_DISPLAY_NAME = 30


def display_names(plan: SeedPlan) -> dict[int, str]:
    """Every seeded user's display name (user id → "First Last"), from the plan's own stream."""
    rng = plan.rng("display-names")
    return {
        user_id: f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"[:MAX_DISPLAY_NAME]
        for user_id in range(1, plan.users + 1)
    }
