"""Anchor every existing stream at its last event, and on PostgreSQL:

- the head of a stream only moves forward (UPDATE to a higher seq); DELETE is refused;
- TRUNCATE of `audit_event` and of `audit_streamhead` is refused by statement triggers (the row
  triggers of 0002 do not fire on TRUNCATE).

Like 0002, the owner can still disable the triggers; the application's role must not own the
tables (docs/security.md).
"""

from django.db import migrations

ANCHOR = """
INSERT INTO audit_streamhead (stream, seq, hash)
SELECT e.stream, e.seq, e.hash FROM audit_event e
WHERE e.seq = (SELECT MAX(x.seq) FROM audit_event x WHERE x.stream = e.stream)
"""

GUARD = """
CREATE OR REPLACE FUNCTION audit_streamhead_forward_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.stream = OLD.stream AND NEW.seq > OLD.seq THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_streamhead only moves forward (% refused)', TG_OP USING ERRCODE = '42501';
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_streamhead_forward_only ON audit_streamhead;
CREATE TRIGGER audit_streamhead_forward_only BEFORE UPDATE OR DELETE ON audit_streamhead
  FOR EACH ROW EXECUTE FUNCTION audit_streamhead_forward_only();

CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (TRUNCATE refused)', TG_TABLE_NAME USING ERRCODE = '42501';
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
DROP TRIGGER IF EXISTS audit_streamhead_no_truncate ON audit_streamhead;
CREATE TRIGGER audit_streamhead_no_truncate BEFORE TRUNCATE ON audit_streamhead
  FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
"""
UNDO = """
DROP TRIGGER IF EXISTS audit_streamhead_no_truncate ON audit_streamhead;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event;
DROP FUNCTION IF EXISTS audit_no_truncate();
DROP TRIGGER IF EXISTS audit_streamhead_forward_only ON audit_streamhead;
DROP FUNCTION IF EXISTS audit_streamhead_forward_only();
"""


def forward(apps, schema_editor):
    schema_editor.execute(ANCHOR, params=None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_stream_head")]
    operations = [migrations.RunPython(forward, backward)]
