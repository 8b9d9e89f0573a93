"""Invented French identities for the demo: given names by sex, family names,
streets and towns, drawn from fixed lists.

Each person draws with their own generator (:func:`records.management.demo.base.seeded_rng`),
so the same run gives the same people and one person's draw never shifts
another's. Fixed lists rather than Faker: the demo runs from the installed
package, without the development dependencies.

The family names of the demo's named characters (Moreau, Fontaine, Garnier…)
are left out, so that a drawn patient is never mistaken for one of them: the
family's children, whose INS moves with today, are found again by name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from records.models import Sex

GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    Sex.FEMALE: (
        "Agnès", "Alice", "Anne", "Brigitte", "Catherine", "Chantal", "Charlotte", "Christine",
        "Claire", "Colette", "Danielle", "Élise", "Élodie", "Françoise", "Geneviève", "Hélène",
        "Inès", "Isabelle", "Jacqueline", "Jeanne", "Juliette", "Laure", "Léa", "Lucie",
        "Madeleine", "Manon", "Margaux", "Marie", "Martine", "Mathilde", "Monique", "Nathalie",
        "Nicole", "Odile", "Pauline", "Sandrine", "Simone", "Solène", "Sylvie", "Valérie",
    ),
    Sex.MALE: (
        "Alain", "Antoine", "Arnaud", "Benoît", "Bernard", "Bruno", "Christophe", "Claude",
        "Daniel", "Denis", "Didier", "Éric", "Étienne", "François", "Frédéric", "Georges",
        "Guillaume", "Henri", "Hugo", "Jacques", "Jean", "Jérôme", "Laurent", "Lucas",
        "Marcel", "Mathieu", "Maxime", "Michel", "Nicolas", "Olivier", "Patrick", "Paul",
        "Philippe", "Raphaël", "Rémi", "René", "Serge", "Sébastien", "Vincent", "Yves",
    ),
}  # fmt: skip

FAMILY_NAMES: tuple[str, ...] = (
    "André", "Arnaud", "Aubert", "Barbier", "Baron", "Bertrand", "Blanc", "Bonnet",
    "Bourgeois", "Boyer", "Brun", "Caron", "Carpentier", "Chevalier", "Clément", "Colin",
    "David", "Denis", "Dubois", "Dufour", "Dumont", "Dupont", "Durand", "Faure",
    "Fournier", "Gautier", "Gauthier", "Guérin", "Henry", "Hubert", "Joly", "Laurent",
    "Leclerc", "Legrand", "Lemaire", "Leroy", "Marchand", "Martin", "Masson", "Mathieu",
    "Mercier", "Meyer", "Michel", "Morel", "Muller", "Noël", "Petit", "Picard",
    "Renard", "Richard", "Robert", "Robin", "Roche", "Roger", "Roussel", "Roux",
    "Schmitt", "Simon", "Thomas", "Vidal", "Vincent",
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "rue des Acacias", "rue de la Fontaine", "avenue Jean-Jaurès", "rue Victor-Hugo",
    "boulevard Pasteur", "rue du Moulin", "place de l’Église", "rue de la République",
    "allée des Tilleuls", "chemin des Vignes", "rue Gambetta", "avenue de la Gare",
    "rue des Écoles", "impasse des Lilas", "rue Jules-Ferry", "quai de la Loire",
    "rue Émile-Zola", "rue du Château", "avenue Foch", "rue des Jardins",
)  # fmt: skip

# The GP's practice is in Paris 7e: her patients live around.
CITIES: tuple[tuple[str, str], ...] = (
    ("75007", "Paris"),
    ("75015", "Paris"),
    ("75006", "Paris"),
    ("92130", "Issy-les-Moulineaux"),
    ("92100", "Boulogne-Billancourt"),
    ("92170", "Vanves"),
    ("94300", "Vincennes"),
    ("78000", "Versailles"),
)


@dataclass(frozen=True)
class Identity:
    """What the insurer knows of an invented person besides INS and birth date."""

    given_names: str
    birth_names: str
    address_line1: str
    postcode: str
    city: str


def draw_identity(
    rng: random.Random, sex: str, *, cities: tuple[tuple[str, str], ...] = CITIES
) -> Identity:
    """A given name for ``sex``, a family name (upper case, as on the INS) and an address."""
    postcode, city = rng.choice(cities)
    return Identity(
        given_names=rng.choice(GIVEN_NAMES[sex]),
        birth_names=rng.choice(FAMILY_NAMES).upper(),
        address_line1=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        postcode=postcode,
        city=city,
    )
