"""Diagnosis of the customer base: the churn model, segments, and the scores written as tags."""
