"""Coordinators' pages for the course catalog and instructors' qualifications (tms.crud)."""
