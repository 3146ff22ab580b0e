"""Attendance services: the only code that gives or frees seats.

Import the functions from their modules: `registration` (register, enrol, cancel, offers, the
waitlist), `promotion` (serving the line, offer expiry), `seats` (the seat door from Python),
`notices` (the messages queued), `outcomes` (completions), `reminders` (periodic sweeps). This
package stays import-light so that message builders can import it early.
"""
