# Registrations, waitlists and attendance arrive with the registration issue.
