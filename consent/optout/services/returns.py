"""Returns of a campaign's notices: emails the provider could not deliver, and
letters the print house got back (NPAI, « n'habite pas à l'adresse indiquée »).

An admin uploads one CSV per campaign (format in ``docs/operations.md`` and on
the upload page). :func:`bounces_import` checks the file as a whole first
(size, encoding, separator, header, number of lines): a refused file changes
nothing. It then checks every line against the campaign's deliveries (a few
queries for the whole file) and applies the valid ones:

- the undelivered emails go through ``campaigns.deliveries_bounced``:
  marked bounced, and their notices printed as letters, 250 to a new batch
  (line by line through ``delivery_bounced`` if one letter does not fit);
- a returned letter is marked bounced by :func:`letter_returned`, with no
  further fallback: the dashboard counts them so that support can act.

Each change is a conditional update (or the service's row lock), so importing
the same file again changes nothing and reports every line as already
applied; an import cut short is finished by importing the file again. The
file is read in memory and never stored; the report names lines and
references, never a person.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from consent.optout.letters import LetterLayoutError
from consent.optout.models import (
    Campaign,
    DeliveryChannel,
    DeliveryState,
    Notice,
    NoticeDelivery,
    NoticeOutcome,
)
from consent.optout.services import campaigns as campaign_services
from messpace.csvfile import csv_open, csv_rows, human_size, plain
from messpace.csvfile import too_large_message as csvfile_too_large_message
from records.lifecycle.models import Record, RecordState

__all__ = [
    "KEY_COLUMNS",
    "MAX_BYTES",
    "MAX_EMAIL_LINES",
    "MAX_LINES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "BounceLine",
    "BounceReport",
    "RefusedLine",
    "bounce_file_read",
    "bounces_import",
    "email_bounced",
    "letter_returned",
    "max_size_text",
    "too_large_message",
]

log = logging.getLogger(__name__)

# A bounce line weighs about 100 bytes: 2 MB is some 20,000 lines. A returned
# letter is one UPDATE, but each undelivered email prints its replacement letter
# while the admin waits (all of a file in one batch: 1,000 in about 12 s),
# hence the lower cap on email lines, which keeps an import under half a minute.
MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
MAX_EMAIL_LINES = 2000
# Replacement letters per transaction (and per PDF batch).
EMAILS_PER_BATCH = 250

REQUIRED_COLUMNS = ("type",)
# At least one of these: the notice's reference, or (emails only) the address.
KEY_COLUMNS = ("reference", "courriel")
# ``motif`` is read for the operator's own records and not kept; ``destinataire``
# (as in the print house's manifest) tells apart the letters of one notice
# sent to two legal guardians.
OPTIONAL_COLUMNS = ("motif", "destinataire")
# Header names accepted for ``courriel``.
_COLUMN_ALIASES = {"email": "courriel", "e_mail": "courriel", "mail": "courriel"}

EMAIL = DeliveryChannel.EMAIL.value
LETTER = DeliveryChannel.LETTER.value
_KINDS = {
    "courriel": EMAIL,
    "email": EMAIL,
    "e-mail": EMAIL,
    "mail": EMAIL,
    "courrier": LETTER,
    "lettre": LETTER,
    "npai": LETTER,
}
REFERENCE_RE = re.compile(r"^C(\d{1,10})-(\d{1,12})$")
_BLANKS_RE = re.compile(r"\s+")


# --- The file as a whole -----------------------------------------------------------------------


@dataclass(frozen=True)
class BounceLine:
    """One data line of a bounce file (the header is line 1), its cells cleaned."""

    line: int
    kind: str  # the ``type`` cell as written
    reference: str
    email: str
    recipient: str


def max_size_text() -> str:
    """The largest file accepted, in words (« 2,0 Mo »)."""
    return human_size(MAX_BYTES)


def too_large_message(size: int | None = None) -> str:
    """The French refusal of a file over :data:`MAX_BYTES`, with its size when known."""
    return csvfile_too_large_message(MAX_BYTES, size)


def _cell(value: str) -> str:
    # The manifest prefixes with "'" what a spreadsheet would run as a formula.
    value = unicodedata.normalize("NFC", value).strip()
    return value[1:].strip() if value.startswith("'") else value


def bounce_file_read(content: bytes) -> list[BounceLine]:
    """Check a bounce file as a whole and return its data lines.

    Raises ``ValidationError`` (French, precise) for what
    :func:`messpace.csvfile.csv_open` refuses (too large, empty, not
    decodable, no ``;`` or ``,`` separator, a column named twice), a
    malformed line, a header lacking ``type`` or both ``reference`` and
    ``courriel``, no data line, more than :data:`MAX_LINES` lines or more than
    :data:`MAX_EMAIL_LINES` email lines.
    """
    parsed = csv_open(content, max_bytes=MAX_BYTES, aliases=_COLUMN_ALIASES)
    header = parsed.header
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing or not any(name in header for name in KEY_COLUMNS):
        raise ValidationError(
            _(
                "En-tête incomplet : la colonne « type » et au moins l’une des colonnes "
                "« reference » ou « courriel » sont obligatoires. Colonnes lues : %(found)s."
            )
            % {"found": ", ".join(name for name in header if name) or "—"},
            code="missing_columns",
        )
    lines: list[BounceLine] = []
    for row in csv_rows(parsed):
        values = {name: _cell(value) for name, value in row.values.items()}
        lines.append(
            BounceLine(
                line=row.line,
                kind=values.get("type", ""),
                reference=values.get("reference", "").upper().replace(" ", ""),
                email=values.get("courriel", "").lower(),
                recipient=values.get("destinataire", ""),
            )
        )
        if len(lines) > MAX_LINES:
            raise ValidationError(
                _("Le fichier compte plus de %(max)s lignes : découpez-le en plusieurs fichiers.")
                % {"max": number_format(MAX_LINES, force_grouping=True)},
                code="too_many_lines",
            )
    if not lines:
        raise ValidationError(
            _("Le fichier ne contient que la ligne d’en-tête : aucun retour à importer."),
            code="no_rows",
        )
    emails = sum(1 for row in lines if _kind(row) == EMAIL)
    if emails > MAX_EMAIL_LINES:
        raise ValidationError(
            _(
                "Le fichier compte %(count)s courriels non distribués, au-delà de %(max)s par "
                "fichier (chacun fait imprimer son courrier de remplacement pendant l’import) : "
                "découpez-le en plusieurs fichiers."
            )
            % {
                "count": number_format(emails, force_grouping=True),
                "max": number_format(MAX_EMAIL_LINES, force_grouping=True),
            },
            code="too_many_emails",
        )
    return lines


# --- Lines -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefusedLine:
    line: int
    reason: str


@dataclass
class BounceReport:
    """What an import did: lines applied, and each line not applied with its reason."""

    lines: int = 0
    applied: int = 0
    emails_bounced: int = 0
    replacement_letters: int = 0
    letters_returned: int = 0
    # Lines an earlier import had already applied (they are among ``refused``).
    already: int = 0
    refused: list[RefusedLine] = field(default_factory=list)

    @property
    def already_imported(self) -> bool:
        """Every line had been applied before: the same file imported again."""
        return self.applied == 0 and self.already == self.lines


@dataclass(frozen=True)
class _Target:
    line: int
    channel: str
    delivery_ids: tuple[int, ...]


class _Refusal(Exception):
    def __init__(self, reason: str, *, already: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.already = already


def _same_person(a: str, b: str) -> bool:
    return _BLANKS_RE.sub(" ", plain(a)) == _BLANKS_RE.sub(" ", plain(b))


def _answered(notice: Notice) -> str:
    """Why no replacement letter goes to a person who no longer waits for the notice."""
    if notice.outcome == NoticeOutcome.OPPOSED:
        return _(
            "La personne s’est opposée à la création de son dossier : aucun courrier de "
            "remplacement n’est envoyé."
        )
    if notice.outcome in (NoticeOutcome.ACTIVATED_EARLY, NoticeOutcome.OPENED):
        return _("Le dossier est déjà ouvert : aucun courrier de remplacement n’est nécessaire.")
    return _("Le dossier n’attend plus de réponse à cet avis : aucun courrier n’est envoyé.")


class _Resolver:
    """The campaign's notices and deliveries that a file names, read in a few queries."""

    def __init__(self, campaign: Campaign, lines: list[BounceLine]) -> None:
        self.campaign = campaign
        pks = set()
        for row in lines:
            match = REFERENCE_RE.match(row.reference)
            if match:
                pks.add(int(match.group(2)))
        self.notices: dict[int, Notice] = {
            notice.pk: notice
            for notice in Notice.objects.filter(pk__in=pks)
            .select_related("record", "campaign")
            .only("id", "reference", "campaign__name", "outcome", "record__state")
        }
        self.by_notice: dict[int, list[NoticeDelivery]] = {}
        for delivery in self._deliveries().filter(notice_id__in=self.notices):
            self.by_notice.setdefault(delivery.notice_id, []).append(delivery)
        emails = {
            row.email for row in lines if row.email and not row.reference and _kind(row) == EMAIL
        }
        self.by_email: dict[str, list[NoticeDelivery]] = {}
        elsewhere: set[str] = set()
        if emails:
            found = (
                self._deliveries()
                .filter(notice__campaign_id=campaign.pk, channel=EMAIL)
                .annotate(address=Lower("email"))
                .filter(address__in=emails)
                .order_by("pk")
            )
            for delivery in found:
                self.by_email.setdefault(delivery.email.lower(), []).append(delivery)
            unknown = emails - set(self.by_email)
            if unknown:
                elsewhere = set(
                    NoticeDelivery.objects.filter(channel=EMAIL)
                    .exclude(notice__campaign_id=campaign.pk)
                    .annotate(address=Lower("email"))
                    .filter(address__in=unknown)
                    .values_list("address", flat=True)
                    .distinct()
                )
        self.elsewhere = elsewhere

    @staticmethod
    def _deliveries() -> QuerySet[NoticeDelivery]:
        return NoticeDelivery.objects.select_related("notice__record").only(
            "id",
            "channel",
            "state",
            "email",
            "recipient_name",
            "notice__id",
            "notice__outcome",
            "notice__record__state",
        )

    def notice(self, reference: str) -> Notice:
        match = REFERENCE_RE.match(reference)
        if match is None:
            raise _Refusal(
                _("Référence « %(reference)s » mal formée : attendue sous la forme C12-0000345.")
                % {"reference": reference[:40]}
            )
        notice = self.notices.get(int(match.group(2)))
        if notice is None or notice.reference != reference:
            raise _Refusal(_("Référence inconnue : %(reference)s.") % {"reference": reference})
        if notice.campaign_id != self.campaign.pk:
            raise _Refusal(
                _(
                    "La référence %(reference)s est celle d’un avis d’une autre campagne (« %(name)s »)."
                )
                % {"reference": reference, "name": notice.campaign.name}
            )
        return notice

    def email_targets(self, row: BounceLine) -> tuple[int, ...]:
        if row.email:
            try:
                validate_email(row.email)
            except ValidationError:
                raise _Refusal(_("Adresse électronique mal formée.")) from None
        if row.reference:
            notice = self.notice(row.reference)
            candidates = [d for d in self.by_notice.get(notice.pk, []) if d.channel == EMAIL]
            if not candidates:
                raise _Refusal(_("Cet avis n’a pas été envoyé par courriel."))
            if row.email:
                candidates = [d for d in candidates if d.email.lower() == row.email]
                if not candidates:
                    if notice.outcome == NoticeOutcome.OPPOSED:
                        raise _Refusal(_answered(notice))
                    raise _Refusal(
                        _(
                            "L’adresse électronique ne correspond pas au courriel envoyé pour cet avis."
                        )
                    )
            elif len(candidates) > 1:
                raise _Refusal(
                    _(
                        "Plusieurs courriels ont été envoyés pour cet avis (représentants "
                        "légaux) : indiquez l’adresse dans la colonne courriel."
                    )
                )
        elif row.email:
            candidates = self.by_email.get(row.email, [])
            if not candidates:
                if row.email in self.elsewhere:
                    raise _Refusal(
                        _("Cette adresse a reçu l’avis d’une autre campagne, pas de celle-ci.")
                    )
                raise _Refusal(
                    _("Aucun courriel de cette campagne n’a été envoyé à cette adresse.")
                )
        else:
            raise _Refusal(
                _("Indiquez la référence de l’avis ou l’adresse électronique (colonne courriel).")
            )
        remaining = [d for d in candidates if d.state != DeliveryState.BOUNCED]
        if not remaining:
            raise _Refusal(
                _("Ce courriel est déjà signalé comme non distribué (import précédent)."),
                already=True,
            )
        waiting = [d for d in remaining if d.notice.record.state == RecordState.NOTIFIED]
        if not waiting:
            raise _Refusal(_answered(remaining[0].notice))
        sent = [d for d in waiting if d.state == DeliveryState.SENT]
        if not sent:
            raise _Refusal(
                _(
                    "Ce courriel n’est pas encore parti : il ne peut pas être revenu. Réessayez plus tard."
                )
            )
        return tuple(d.pk for d in sent)

    def letter_targets(self, row: BounceLine) -> tuple[int, ...]:
        if not row.reference:
            raise _Refusal(
                _(
                    "La référence de l’avis (colonne reference) est obligatoire pour un courrier revenu."
                )
            )
        notice = self.notice(row.reference)
        candidates = [d for d in self.by_notice.get(notice.pk, []) if d.channel == LETTER]
        if not candidates:
            raise _Refusal(_("Cet avis n’a pas été envoyé par courrier."))
        if row.recipient:
            candidates = [d for d in candidates if _same_person(d.recipient_name, row.recipient)]
            if not candidates:
                raise _Refusal(_("Le destinataire ne correspond à aucun courrier de cet avis."))
        if len(candidates) > 1:
            raise _Refusal(
                _(
                    "Plusieurs courriers ont été envoyés pour cet avis (représentants légaux) : "
                    "indiquez le destinataire (colonne destinataire, comme dans le manifeste)."
                )
            )
        letter = candidates[0]
        if letter.state == DeliveryState.BOUNCED:
            raise _Refusal(
                _("Ce courrier est déjà signalé comme revenu (import précédent)."), already=True
            )
        if letter.state != DeliveryState.PRINTED:
            raise _Refusal(
                _("Ce courrier n’a pas encore été imprimé : il ne peut pas être revenu.")
            )
        return (letter.pk,)


def _kind(row: BounceLine) -> str:
    return _KINDS.get(plain(row.kind), "")


def _check_lines(
    campaign: Campaign, lines: list[BounceLine], report: BounceReport
) -> list[_Target]:
    resolver = _Resolver(campaign, lines)
    targets: list[_Target] = []
    first_line: dict[int, int] = {}  # delivery id → the line that named it first
    for row in lines:
        try:
            kind = _kind(row)
            if not kind:
                raise _Refusal(
                    _("Type « %(kind)s » inconnu : indiquez « courriel » ou « courrier ».")
                    % {"kind": row.kind[:40]}
                    if row.kind
                    else _("Type manquant : indiquez « courriel » ou « courrier ».")
                )
            ids = resolver.email_targets(row) if kind == EMAIL else resolver.letter_targets(row)
            new = tuple(pk for pk in ids if pk not in first_line)
            if not new:
                raise _Refusal(
                    _("Même envoi que la ligne %(line)d : ligne ignorée.")
                    % {"line": first_line[ids[0]]}
                )
        except _Refusal as refusal:
            report.refused.append(RefusedLine(line=row.line, reason=refusal.reason))
            report.already += refusal.already
            continue
        for pk in new:
            first_line[pk] = row.line
        targets.append(_Target(line=row.line, channel=kind, delivery_ids=new))
    return targets


# --- Applying ----------------------------------------------------------------------------------


def letter_returned(*, delivery_id: int) -> bool:
    """A printed letter came back (NPAI): mark it bounced, with no further fallback.

    A conditional update: returns False, changing nothing, for a letter already
    marked (or not a printed letter), so a file imported twice counts once.
    """
    return bool(
        NoticeDelivery.objects.filter(
            pk=delivery_id, channel=LETTER, state=DeliveryState.PRINTED
        ).update(state=DeliveryState.BOUNCED, bounced_at=timezone.now())
    )


def email_bounced(*, campaign_id: int, delivery_id: int) -> str:
    """A sent email of the campaign came back undelivered: ``delivery_bounced`` marks it
    and prints its replacement letter, if its notice still waits for an answer.

    Runs under the campaign's row lock, as the sending task does, so that the
    letter's batch takes the next number even while the campaign prints
    another, and under the record's, so that an answer cannot slip in between
    the check and the letter. Returns ``"replaced"`` (a letter printed),
    ``"bounced"`` (marked; a letter to that recipient existed already),
    ``"answered"`` (the person answered meanwhile: nothing done) or
    ``"unchanged"`` (not a sent email of the campaign, e.g. already bounced).
    """
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        row = (
            NoticeDelivery.objects.filter(
                pk=delivery_id, channel=EMAIL, notice__campaign_id=campaign_id
            )
            .values_list("state", "notice__record_id")
            .first()
        )
        if row is None or row[0] != DeliveryState.SENT:
            return "unchanged"
        waiting = (
            Record.objects.select_for_update()
            .filter(pk=row[1], state=RecordState.NOTIFIED)
            .values_list("pk", flat=True)
            .first()
        )
        if waiting is None:
            return "answered"
        letter = campaign_services.delivery_bounced(delivery_id=delivery_id)
    return "replaced" if letter is not None else "bounced"


def _apply(
    campaign: Campaign,
    target: _Target,
    report: BounceReport,
    email_results: dict[int, str],
) -> None:
    changed = 0
    # Unless told otherwise below: another import, or the sending task, got there
    # between the check and now.
    reason, already = _("Cet envoi vient d’être signalé par ailleurs : rien n’a changé."), True
    for delivery_id in target.delivery_ids:
        if target.channel == LETTER:
            if letter_returned(delivery_id=delivery_id):
                report.letters_returned += 1
                changed += 1
            continue
        try:
            result = email_results.get(delivery_id) or email_bounced(
                campaign_id=campaign.pk, delivery_id=delivery_id
            )
        except LetterLayoutError:
            log.warning(
                "bounce import: replacement letter of delivery %s does not fit", delivery_id
            )
            reason, already = (
                _(
                    "Le courrier de remplacement n’a pas pu être mis en page (adresse trop "
                    "longue ?) : traitez cet avis au cas par cas."
                ),
                False,
            )
            continue
        if result in ("replaced", "bounced"):
            report.emails_bounced += 1
            report.replacement_letters += result == "replaced"
            changed += 1
        elif result == "answered":
            reason, already = (
                _(
                    "La personne a répondu à l’avis entre-temps : aucun courrier de "
                    "remplacement n’est envoyé."
                ),
                False,
            )
    if changed:
        report.applied += 1
    else:
        report.already += already
        report.refused.append(RefusedLine(line=target.line, reason=reason))


def bounces_import(*, campaign: Campaign, content: bytes) -> BounceReport:
    """Import a CSV of undelivered emails and returned letters for ``campaign``.

    Raises ``ValidationError`` (French) and changes nothing when the file as a
    whole is refused (see :func:`bounce_file_read`). Otherwise every line is
    checked first, then the valid ones are applied one by one (an email: the
    notice is printed as a letter; a letter: marked returned); the report
    gives the counts and each line not applied with its reason. Importing the
    same file again applies nothing and reports every line as already applied.
    """
    lines = bounce_file_read(content)
    report = BounceReport(lines=len(lines))
    targets = list(_check_lines(campaign, lines, report))
    # The replacement letters in batches of EMAILS_PER_BATCH (one PDF each).
    email_ids = [d for t in targets if t.channel == EMAIL for d in t.delivery_ids]
    email_results: dict[int, str] = {}
    # In chunks: each holds the records' locks while its letters render (a few
    # seconds), not the whole file's. A chunk refused for a letter that does not
    # fit leaves its lines to be applied one by one.
    for start in range(0, len(email_ids), EMAILS_PER_BATCH):
        chunk = email_ids[start : start + EMAILS_PER_BATCH]
        try:
            email_results |= campaign_services.deliveries_bounced(
                campaign_id=campaign.pk, delivery_ids=chunk
            )
        except LetterLayoutError:
            continue
    for target in targets:
        _apply(campaign, target, report, email_results)
    report.refused.sort(key=lambda refused: refused.line)
    log.info(
        "bounce import campaign=%s lines=%s applied=%s refused=%s",
        campaign.pk,
        report.lines,
        report.applied,
        len(report.refused),
    )
    return report
