"""Blended programs: their steps (live courses and self-paced LMS activities), cohorts, the
planner, the LMS bridge (xAPI statements in and out) and readiness."""
