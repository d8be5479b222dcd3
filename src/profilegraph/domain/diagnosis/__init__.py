"""Diagnosis of the customer base ("assess, tier, mine"): churn signals and the churn model,
high-value sub-types, the intent of potential customers and discovered segments.

Pure: the services read the facts and store what these modules compute.
"""
