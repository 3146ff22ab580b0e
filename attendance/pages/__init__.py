"""Coordinators' pages for learner accounts (pattern: tms.crud)."""
