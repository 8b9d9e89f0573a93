"""The database refuses a record state that has no ``RecordTransition`` (PostgreSQL).

Every transition row records the transaction that wrote it (``xact``, filled
by the database: the top-level transaction id, the same inside savepoints).
A deferred constraint trigger checks at commit that each record inserted, and
each change of ``records_record.state``, has its transition row from the same
transaction with the same states: a state written without its history row
(by a forgetful service, a shell, raw SQL) fails the commit with an integrity
error, and nothing of that transaction is kept. It checks that the history
is written, not that the move is one the lifecycle allows: that is
``records.lifecycle.services``' rule.

Needs PostgreSQL 13 or later (``pg_current_xact_id``). A data dump loaded with
``loaddata`` must bring its transitions in the same transaction as its
records (one fixture file does). SQLite (the embedded demo) relies on the
application alone, as for the append-only access log. The column is not a
model field: only the database writes and reads it.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE records_recordtransition ADD COLUMN xact bigint;
ALTER TABLE records_recordtransition
    ALTER COLUMN xact SET DEFAULT (pg_current_xact_id()::text)::bigint;
CREATE INDEX records_recordtransition_record_xact_idx
    ON records_recordtransition (record_id, xact);

CREATE FUNCTION records_record_state_has_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    previous text := CASE WHEN TG_OP = 'INSERT' THEN '' ELSE OLD.state END;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM records_recordtransition t
        WHERE t.record_id = NEW.id
          AND t.from_state = previous
          AND t.to_state = NEW.state
          AND t.xact = (pg_current_xact_id()::text)::bigint
    ) THEN
        RAISE EXCEPTION
            'record %: state % -> % without its RecordTransition in this transaction',
            NEW.id, NULLIF(previous, ''), NEW.state
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Change a record''s state through records.lifecycle.services.';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER records_record_state_has_transition
    AFTER INSERT OR UPDATE OF state ON records_record
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION records_record_state_has_transition();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS records_record_state_has_transition ON records_record;
DROP FUNCTION IF EXISTS records_record_state_has_transition();
DROP INDEX IF EXISTS records_recordtransition_record_xact_idx;
ALTER TABLE records_recordtransition DROP COLUMN IF EXISTS xact;
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("records", "0012_optout_models_move_to_consent")]

    operations = [migrations.RunPython(forward, backward)]
