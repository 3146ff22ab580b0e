"""Forms for the scheduling pages: they check the *shape* of input and build service inputs.

Times are typed as local wall-clock time in the session's zone (a date and a start/end time)
and turned into aware datetimes here; every business rule stays in `scheduling.services`.
One module per page family: `fields` (shared fields and time helpers), `filters` (the session
list), `create` (a new session and its plan check), `edit` (a saved session), `search`
(availability searches).
"""

from scheduling.forms.create import BlockForm, BlockFormSet, SessionForm, SessionPlan
from scheduling.forms.edit import (
    AssignInstructorForm,
    BlockChangeForm,
    ReasonForm,
    SessionSettingsForm,
    TransitionForm,
)
from scheduling.forms.fields import (
    DateInput,
    bookable_rooms,
    default_time_zone,
    delivery_mode_filter,
)
from scheduling.forms.filters import SessionFilterForm
from scheduling.forms.search import InstructorSearchForm, RoomSearchForm

__all__ = [
    "AssignInstructorForm",
    "BlockChangeForm",
    "BlockForm",
    "BlockFormSet",
    "DateInput",
    "InstructorSearchForm",
    "ReasonForm",
    "RoomSearchForm",
    "SessionFilterForm",
    "SessionForm",
    "SessionPlan",
    "SessionSettingsForm",
    "TransitionForm",
    "bookable_rooms",
    "default_time_zone",
    "delivery_mode_filter",
]
