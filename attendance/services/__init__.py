"""Attendance services: the only code that takes or frees seats.

Import the functions from their modules (`attendance.services.registration`, `.promotion`,
`.reminders`); this package stays import-light so that message builders can import it early.
"""
