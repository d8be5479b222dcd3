// Indexes for the access paths that do not go through a unique key.
CREATE INDEX identifier_type IF NOT EXISTS
FOR (i:Identifier) ON (i.type);

CREATE INDEX identifier_status IF NOT EXISTS
FOR (i:Identifier) ON (i.status);

CREATE INDEX order_ts IF NOT EXISTS
FOR (o:Order) ON (o.ts);

CREATE INDEX interaction_ts IF NOT EXISTS
FOR (i:Interaction) ON (i.ts);

CREATE INDEX audit_entry_at IF NOT EXISTS
FOR (a:AuditEntry) ON (a.at);
