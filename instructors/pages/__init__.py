"""Coordinators' pages for instructors, their working hours and unavailability (tms.crud)."""
