// Fitted CLV population models: one node per fit, the newest is in use.
CREATE CONSTRAINT clv_fit_id IF NOT EXISTS
FOR (f:ClvFit) REQUIRE f.fit_id IS UNIQUE;

CREATE INDEX clv_fit_fitted_at IF NOT EXISTS
FOR (f:ClvFit) ON (f.fitted_at);
