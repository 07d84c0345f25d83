"""The text search configuration is guessed from the function words of a document."""

import pytest

from meetings.manager.knowledge.language import detect_search_config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A consulta de retorno é gratuita quando feita em até 30 dias com o mesmo médico.", "portuguese"),
        ("The follow-up visit is free when it is booked within 30 days with the same doctor.", "english"),
        ("La consulta de control es gratuita si se hace en los primeros 30 días con el médico.", "spanish"),
        ("R$ 280,00 — 08h–12h", "simple"),
        ("", "simple"),
    ],
)
def test_the_language_of_a_text_picks_its_configuration(text, expected):
    assert detect_search_config(text) == expected
