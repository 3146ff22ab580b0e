import pytest
from django.db import connection

from compliance.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_smoke():
    site = factories.SiteFactory()
    e = AuditEntry.objects.filter(table_name="venues_site", object_pk=str(site.pk)).get()
    print(e.__dict__)
    from compliance.verify import verify_chain
    print(verify_chain())
