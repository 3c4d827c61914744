"""The `helper_process` fixture: a second process opens the same test database as the test."""

import pytest

from enrollments.models import EnrollmentGroup
from tests.factories import EnrollmentGroupFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_helper_process_sees_what_the_test_wrote(helper_process):
    EnrollmentGroupFactory(enrollment_group_id="seen-by-helper")
    proc = helper_process(
        "shell",
        "-c",
        "from enrollments.models import EnrollmentGroup;"
        "print('groups:', sorted(EnrollmentGroup.objects.values_list('enrollment_group_id', flat=True)))",
    )
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert "groups: ['seen-by-helper']" in output


def test_what_the_helper_writes_the_test_reads(helper_process):
    proc = helper_process(
        "shell",
        "-c",
        "from enrollments.services.enrollments import enrollment_group_create;"
        "enrollment_group_create(enrollment_group_id='written-by-helper', attestation_type='symmetricKey');"
        "print('done')",
        ready="done",
        timeout=120,
    )
    assert proc.wait(timeout=60) == 0
    assert EnrollmentGroup.objects.filter(enrollment_group_id="written-by-helper").exists()
