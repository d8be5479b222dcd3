// Trained churn models and discovered segmentations: appended, the newest of each kind in force.
CREATE CONSTRAINT diagnosis_model_id IF NOT EXISTS
FOR (m:DiagnosisModel) REQUIRE m.model_id IS UNIQUE;

CREATE INDEX diagnosis_model_kind IF NOT EXISTS
FOR (m:DiagnosisModel) ON (m.kind);
