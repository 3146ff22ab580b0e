"""Calendar pages and feeds of the schedule: the week/month/agenda grid, the resource timeline and
iCalendar subscriptions. Each view has its own module here."""
