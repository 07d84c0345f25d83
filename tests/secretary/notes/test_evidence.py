"""The deterministic evidence check: cited ids outside the given lines are rejected; support needs a
shared key term (folded case and accents, five-letter stems, numbers; function and visit words ignored)."""

import pytest

from meetings.secretary.notes.evidence import check_evidence, key_terms

LINES = {
    1: "I was prescribed amoxicillin 500 mg last week.",
    2: "A tosse começou há três dias.",
    3: "The patient says hello.",
}


def test_key_terms_fold_case_and_accents_and_keep_numbers():
    assert key_terms("Tósse COMEÇOU, 500 mg") == {"tosse", "comec", "500"}


def test_function_and_visit_words_are_not_key_terms():
    assert key_terms("The patient reports that this would have been") == set()


@pytest.mark.parametrize(
    ("statement", "cited", "support"),
    [
        ("Prescription of amoxicillin.", [1], "supported"),  # stems meet: presc-
        ("Dose 500 mg.", [1], "supported"),  # a number
        ("Tosse há três dias.", [2], "supported"),
        ("Fever since Monday.", [1], "unsupported"),  # nothing shared
        ("Patient seen.", [3], "unsupported"),  # only visit words shared
        ("Amoxicillin prescribed.", [], "unsupported"),
    ],
)
def test_support_needs_a_shared_key_term_with_the_cited_lines(statement, cited, support):
    assert check_evidence(statement, cited, LINES).support == support


def test_unknown_ids_are_rejected_and_duplicates_kept_once():
    check = check_evidence("Amoxicillin prescribed.", [1, 99, 1, 99], LINES)
    assert (check.evidence, check.rejected_evidence, check.support) == ([1], [99], "supported")


def test_only_unknown_ids_leave_the_statement_unsupported():
    check = check_evidence("Amoxicillin prescribed.", [42], LINES)
    assert (check.evidence, check.rejected_evidence, check.support) == ([], [42], "unsupported")
