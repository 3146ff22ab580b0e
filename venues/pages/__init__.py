"""Coordinators' pages for sites, rooms, closures and host accounts (pattern: tms.crud)."""
