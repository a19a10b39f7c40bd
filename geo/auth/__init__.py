"""Users, passwords, tokens and the audit trail (the parts that do not depend on HTTP)."""
