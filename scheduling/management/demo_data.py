"""The demo organisation as plain data: sites, rooms, licences, people and the course catalog.

`seed_demo` turns this into rows. Dates are not stored here: they are laid out relative to the
day the command runs (see `seed_demo.DemoBuilder`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the published demo sign-in (README)

LONDON, PARIS, NEW_YORK = "Europe/London", "Europe/Paris", "America/New_York"


@dataclass(frozen=True)
class SiteData:
    key: str
    name: str
    address: str
    time_zone: str


SITES = (
    SiteData(
        "lon",
        "London — Holborn Training Centre",
        "4th floor, 120 High Holborn\nLondon WC1V 6RH\nUnited Kingdom",
        LONDON,
    ),
    SiteData(
        "par",
        "Paris — La Défense Campus",
        "Tour Europa, 12 place de la Défense\n92400 Courbevoie\nFrance",
        PARIS,
    ),
    SiteData(
        "nyc",
        "New York — Midtown Learning Center",
        "350 West 42nd Street, 5th floor\nNew York, NY 10036\nUnited States",
        NEW_YORK,
    ),
)


@dataclass(frozen=True)
class RoomData:
    site: str
    name: str
    capacity: int
    features: tuple[str, ...]
    setup: int = 0
    teardown: int = 0
    bookable: bool = True


ROOMS = (
    RoomData(
        "lon",
        "Thames Suite",
        40,
        ("projector", "video_conferencing", "wheelchair_access", "hearing_loop"),
        30,
        15,
    ),
    RoomData("lon", "Holborn", 20, ("projector", "whiteboard", "wheelchair_access"), 15, 15),
    RoomData("lon", "Bloomsbury Lab", 12, ("computers", "projector"), 15, 10),
    RoomData("lon", "Fleet", 8, ("whiteboard",)),
    RoomData("par", "Seine", 30, ("projector", "video_conferencing", "wheelchair_access"), 20, 20),
    RoomData("par", "Montmartre", 16, ("projector", "whiteboard"), 10, 10),
    RoomData("par", "Marais Lab", 12, ("computers", "projector"), 15, 15),
    # Under refurbishment all quarter: listed, but not bookable.
    RoomData("par", "Monet", 24, ("projector", "whiteboard"), 10, 10, bookable=False),
    RoomData(
        "nyc",
        "Hudson Hall",
        36,
        ("projector", "video_conferencing", "wheelchair_access", "hearing_loop"),
        30,
        30,
    ),
    RoomData("nyc", "Chelsea", 18, ("projector", "whiteboard", "wheelchair_access"), 15, 15),
    RoomData("nyc", "Tribeca Lab", 14, ("computers", "projector", "whiteboard"), 10, 10),
    RoomData("nyc", "Battery", 10, ("whiteboard", "video_conferencing"), 5, 5),
)


@dataclass(frozen=True)
class ClosureData:
    site: str
    room: str
    day_offset: int  # working days after the first demo day
    days: int
    reason: str


CLOSURES = (
    ClosureData("lon", "Thames Suite", 12, 2, "Audio-visual upgrade"),
    ClosureData("nyc", "Chelsea", 31, 1, "Carpet replacement"),
)


@dataclass(frozen=True)
class HostAccountData:
    name: str
    provider: str  # "url" or "manual"
    base_url: str
    participant_limit: int


HOST_ACCOUNTS = (
    HostAccountData("Jitsi — Academy licence 1", "url", "https://meet.jit.si", 100),
    HostAccountData("Jitsi — Academy licence 2", "url", "https://meet.jit.si", 50),
    HostAccountData("Jitsi — Town-hall licence", "url", "https://meet.jit.si", 300),
    HostAccountData("Partner Zoom room (links by hand)", "manual", "", 25),
)


@dataclass(frozen=True)
class PersonData:
    first_name: str
    last_name: str
    zone: str
    weekly_hours: int
    day_rate: int
    starts: dt.time = dt.time(9)
    ends: dt.time = dt.time(17, 30)
    username: str = ""  # default: first.last in ASCII


CURRENCY = {LONDON: "GBP", PARIS: "EUR", NEW_YORK: "USD"}

# The first person signs in as `instructor` (README).
INSTRUCTORS = (
    PersonData("Olivia", "Bennett", LONDON, 32, 650, username="instructor"),
    PersonData("James", "Whitaker", LONDON, 40, 700),
    PersonData("Priya", "Raman", LONDON, 30, 750, dt.time(8, 30), dt.time(17)),
    PersonData("Thomas", "Hughes", LONDON, 24, 550),
    PersonData("Chloe", "Adeyemi", LONDON, 36, 600),
    PersonData("Daniel", "O'Connor", LONDON, 40, 820, dt.time(8), dt.time(16, 30)),
    PersonData("Hannah", "Clarke", LONDON, 20, 500),
    PersonData("Marcus", "Reid", LONDON, 35, 900),
    PersonData("Sophie", "Turner", LONDON, 28, 620),
    PersonData("Camille", "Laurent", PARIS, 35, 780),
    PersonData("Julien", "Moreau", PARIS, 35, 700, dt.time(8, 30), dt.time(17)),
    PersonData("Inès", "Haddad", PARIS, 28, 680),
    PersonData("Lucas", "Girard", PARIS, 35, 640),
    PersonData("Manon", "Lefèvre", PARIS, 24, 600),
    PersonData("Antoine", "Dubois", PARIS, 35, 950),
    PersonData("Sarah", "Benali", PARIS, 30, 720),
    PersonData("Nicolas", "Fontaine", PARIS, 35, 820, dt.time(9), dt.time(18)),
    PersonData("Michael", "Rodriguez", NEW_YORK, 40, 1100),
    PersonData("Jessica", "Nguyen", NEW_YORK, 36, 980, dt.time(8, 30), dt.time(17)),
    PersonData("David", "Kim", NEW_YORK, 40, 1050),
    PersonData("Ashley", "Johnson", NEW_YORK, 25, 850),
    PersonData("Brian", "O'Neill", NEW_YORK, 40, 1200, dt.time(8), dt.time(16, 30)),
    PersonData("Maria", "Santos", NEW_YORK, 32, 900),
    PersonData("Kevin", "Patel", NEW_YORK, 30, 1000),
    PersonData("Lauren", "Brooks", NEW_YORK, 38, 950),
)


@dataclass(frozen=True)
class AbsenceData:
    person: int  # index into INSTRUCTORS
    day_offset: int  # working days after the first demo day
    days: int
    kind: str
    note: str


UNAVAILABILITIES = (
    AbsenceData(0, 30, 5, "leave", "Family holiday"),
    AbsenceData(3, 8, 3, "other_duty", "Curriculum review workshop"),
    AbsenceData(11, 45, 10, "leave", "Winter holidays"),
    AbsenceData(14, 20, 2, "other_duty", "Trainer certification (external)"),
    AbsenceData(19, 5, 1, "sick", "Medical appointment"),
    AbsenceData(22, 38, 5, "leave", "Annual leave"),
)

# Session shapes. Times are local to the session's time zone.
HALF = "half"  # one half-day: 09:00-12:30 or 13:30-17:00
DAY = "day"  # one full day 09:00-17:00
TWO_DAY = "two_day"  # two consecutive days
THREE_DAY = "three_day"  # three consecutive days
SPLIT = "split"  # two half-days a week apart
WEEKLY = "weekly"  # three 2-hour sessions, same weekday and time each week

DURATION_MINUTES = {
    HALF: 210,
    DAY: 420,
    TWO_DAY: 840,
    THREE_DAY: 1260,
    SPLIT: 420,
    WEEKLY: 360,
}

ILT_VILT = ("ilt", "vilt")
ILT = ("ilt",)
VILT = ("vilt",)


@dataclass(frozen=True)
class CourseData:
    code: str
    title: str
    shape: str
    capacity: int
    modes: tuple[str, ...]
    description: str
    features: tuple[str, ...] = ()
    prerequisites: tuple[str, ...] = field(default=())


COURSES = (
    CourseData(
        "LDR-101",
        "First-Time Manager Essentials",
        TWO_DAY,
        16,
        ILT_VILT,
        "The shift from doing the work to leading it: delegation, one-to-ones, setting "
        "expectations and running a team rhythm.",
        ("projector", "whiteboard"),
    ),
    CourseData(
        "LDR-201",
        "Coaching Conversations for Managers",
        DAY,
        12,
        ILT,
        "Practise the GROW model in live coaching triads and learn when to coach, mentor or "
        "direct.",
        ("whiteboard",),
        ("LDR-101",),
    ),
    CourseData(
        "LDR-210",
        "Leading Hybrid Teams",
        SPLIT,
        20,
        VILT,
        "Team agreements, inclusive meetings and trust when half the team is remote.",
    ),
    CourseData(
        "LDR-220",
        "Giving and Receiving Feedback",
        HALF,
        16,
        ILT_VILT,
        "Specific, timely, kind: the SBI model and how to ask for feedback yourself.",
    ),
    CourseData(
        "LDR-230",
        "Managing Performance and Difficult Conversations",
        DAY,
        14,
        ILT,
        "Set goals, address under-performance early and keep the conversation fair and documented.",
        ("whiteboard",),
        ("LDR-101",),
    ),
    CourseData(
        "LDR-301",
        "Strategic Leadership Programme",
        THREE_DAY,
        18,
        ILT,
        "For senior leaders: strategy on a page, leading change, and a business simulation.",
        ("projector", "video_conferencing"),
        ("LDR-201",),
    ),
    CourseData(
        "PMG-101",
        "Project Management Fundamentals",
        TWO_DAY,
        20,
        ILT_VILT,
        "Scope, schedule, budget and risk across the project life cycle, with a case project.",
        ("projector", "whiteboard"),
    ),
    CourseData(
        "PMG-210",
        "Risk and Issue Management",
        HALF,
        20,
        ILT_VILT,
        "Build a risk register that gets used: likelihood, impact, owners and escalation.",
        (),
        ("PMG-101",),
    ),
    CourseData(
        "PMG-220",
        "Stakeholder Management",
        DAY,
        18,
        ILT_VILT,
        "Map, prioritise and engage stakeholders; plan communication that lands.",
    ),
    CourseData(
        "AGL-101",
        "Agile and Scrum Foundations",
        DAY,
        24,
        ILT_VILT,
        "Values, roles, events and artefacts of Scrum, through a hands-on sprint simulation.",
        ("whiteboard",),
    ),
    CourseData(
        "AGL-201",
        "Scrum Product Owner Workshop",
        TWO_DAY,
        16,
        ILT,
        "Product vision, backlog refinement, user stories and release planning.",
        ("whiteboard", "projector"),
        ("AGL-101",),
    ),
    CourseData(
        "AGL-210",
        "Kanban for Operations Teams",
        HALF,
        20,
        VILT,
        "Visualise work, limit work in progress and measure flow in service teams.",
    ),
    CourseData(
        "DAT-101",
        "Excel Essentials",
        DAY,
        12,
        ILT,
        "Formulas, formatting, tables and charts for everyday spreadsheets.",
        ("computers", "projector"),
    ),
    CourseData(
        "DAT-201",
        "Advanced Excel: PivotTables, Power Query and Lookups",
        DAY,
        12,
        ILT_VILT,
        "XLOOKUP, PivotTables and repeatable data clean-up with Power Query.",
        ("computers",),
        ("DAT-101",),
    ),
    CourseData(
        "DAT-210",
        "Power BI Dashboards",
        TWO_DAY,
        12,
        ILT,
        "From data model to published report: relationships, DAX measures and visuals.",
        ("computers", "projector"),
    ),
    CourseData(
        "DAT-220",
        "SQL for Analysts",
        WEEKLY,
        15,
        VILT,
        "Three weekly labs: SELECT and joins, grouping and window functions, a reporting project.",
    ),
    CourseData(
        "DAT-230",
        "Python for Data Analysis",
        THREE_DAY,
        14,
        ILT,
        "pandas, notebooks and charts: load, clean, analyse and present a real data set.",
        ("computers", "projector"),
    ),
    CourseData(
        "DAT-240",
        "Data Literacy for Everyone",
        HALF,
        30,
        ILT_VILT,
        "Read charts critically, ask good questions of data and avoid common traps.",
    ),
    CourseData(
        "SEC-101",
        "Cyber Security Awareness",
        HALF,
        40,
        ILT_VILT,
        "Passwords, devices, data handling and reporting incidents: the annual refresher.",
        ("projector",),
    ),
    CourseData(
        "SEC-201",
        "Phishing and Social Engineering Defence",
        HALF,
        25,
        VILT,
        "Live phishing examples, pretexting and how attackers use social media.",
    ),
    CourseData(
        "CMP-101",
        "GDPR and Data Protection Essentials",
        HALF,
        30,
        ILT_VILT,
        "Lawful bases, data subject rights, breaches and privacy by design.",
        ("projector",),
    ),
    CourseData(
        "CMP-110",
        "Anti-Bribery and Corruption",
        HALF,
        30,
        VILT,
        "Gifts and hospitality, third parties and how to raise a concern.",
    ),
    CourseData(
        "CMP-120",
        "Anti-Money Laundering Foundations",
        DAY,
        25,
        ILT_VILT,
        "Customer due diligence, red flags and suspicious-activity reporting.",
    ),
    CourseData(
        "HSE-101",
        "Workplace Health and Safety",
        HALF,
        20,
        ILT,
        "Risk assessment, display-screen equipment and safe working on site and at home.",
        ("projector",),
    ),
    CourseData(
        "HSE-110",
        "First Aid at Work",
        THREE_DAY,
        12,
        ILT,
        "Certified three-day course: CPR, AED, injuries and emergencies, with practical "
        "assessment.",
        ("whiteboard", "wheelchair_access"),
    ),
    CourseData(
        "HSE-120",
        "Fire Warden Training",
        HALF,
        16,
        ILT,
        "Fire prevention, evacuation duties and extinguisher types.",
        (),
        ("HSE-101",),
    ),
    CourseData(
        "HSE-130",
        "Mental Health First Aid",
        TWO_DAY,
        16,
        ILT,
        "Recognise signs of mental ill health and guide colleagues to support.",
        ("wheelchair_access",),
    ),
    CourseData(
        "COM-101",
        "Presentation Skills",
        DAY,
        10,
        ILT,
        "Structure, delivery and handling questions, with filmed practice and feedback.",
        ("projector", "video_conferencing"),
    ),
    CourseData(
        "COM-110",
        "Business Writing That Gets Read",
        SPLIT,
        14,
        ILT_VILT,
        "Plain English, structure and tone for emails, reports and proposals.",
    ),
    CourseData(
        "COM-120",
        "Negotiation Skills",
        TWO_DAY,
        14,
        ILT,
        "Interests, options and BATNA, practised in escalating role plays.",
        ("whiteboard",),
    ),
    CourseData(
        "COM-130",
        "Time Management and Prioritisation",
        HALF,
        20,
        VILT,
        "Plan the week, protect focus time and say no without burning bridges.",
    ),
    CourseData(
        "COM-140",
        "Facilitating Effective Meetings",
        HALF,
        16,
        ILT_VILT,
        "Purpose, agenda, roles and decisions: meetings people want to attend.",
        ("whiteboard",),
    ),
    CourseData(
        "SAL-101",
        "Consultative Selling",
        TWO_DAY,
        16,
        ILT,
        "Discovery questions, value propositions and handling objections.",
        ("projector", "whiteboard"),
    ),
    CourseData(
        "SAL-201",
        "Key Account Management",
        DAY,
        14,
        ILT_VILT,
        "Account plans, relationship maps and growing strategic customers.",
        (),
        ("SAL-101",),
    ),
    CourseData(
        "CSX-101",
        "Customer Service Excellence",
        DAY,
        20,
        ILT_VILT,
        "Empathy, ownership and recovering from service failures.",
    ),
    CourseData(
        "HRM-101",
        "Recruiting and Interviewing Skills",
        DAY,
        12,
        ILT_VILT,
        "Competency-based interviews, fair assessment and candidate experience.",
    ),
    CourseData(
        "DEI-101",
        "Inclusive Leadership and Unconscious Bias",
        HALF,
        24,
        ILT_VILT,
        "How bias shows up in decisions and practical habits for inclusive teams.",
        ("wheelchair_access", "hearing_loop"),
    ),
    CourseData(
        "FIN-101",
        "Finance for Non-Financial Managers",
        TWO_DAY,
        18,
        ILT,
        "Read a P&L, balance sheet and cash-flow statement; build a simple business case.",
        ("projector",),
    ),
    CourseData(
        "FIN-201",
        "Budgeting and Forecasting",
        SPLIT,
        16,
        VILT,
        "Build and defend a budget, then forecast and explain variances.",
        (),
        ("FIN-101",),
    ),
    CourseData(
        "ONB-101",
        "Welcome to the Company: New Starter Induction",
        HALF,
        40,
        ILT_VILT,
        "Our purpose, how we work, key systems and who to ask: every new starter's first session.",
        ("projector", "wheelchair_access"),
    ),
)

CANCELLATION_REASONS = (
    "Too few registrations by the closing date.",
    "Instructor unwell; learners moved to the next date.",
    "Business priorities changed: the team's programme was postponed.",
    "Venue needed for an all-hands meeting.",
)

SESSION_NOTES = (
    "",
    "",
    "",
    "Pre-reading is sent a week before the first block.",
    "Bring a laptop with the course software installed.",
    "Lunch is provided on full days.",
    "Reserved for the sales organisation first; open to all a week before.",
)
