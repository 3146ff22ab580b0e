# Audit trail, certifications and auditor exports arrive with the compliance issues.
