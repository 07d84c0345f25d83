"""The clinic's documents used across the agent tests."""

from tests.agent.conftest import add_chunks

STENT_MEDICATION = (
    "After a coronary stent, patients take dual antiplatelet therapy, aspirin plus clopidogrel, for at "
    "least twelve months. Never stop clopidogrel without asking the cardiologist: stopping early can "
    "cause the stent to clot."
)
BILLING = "Invoices are payable within thirty days by card or bank transfer. Late payments incur a fee."
WALKING_ENTITY = "General guidance: light walking may begin two days after any outpatient procedure."
WALKING_DEPARTMENT = (
    "Cardiac rehabilitation after stent placement: start supervised walking one week after the procedure "
    "and avoid lifting more than five kilograms for two weeks."
)


def seed_clinic_knowledge(db, embedder, setup) -> None:
    add_chunks(
        db,
        embedder,
        entity=setup.entity,
        document_name="post-stent-care.pdf",
        pages={1: "Welcome to the Sunrise Clinic patient handbook.", 3: STENT_MEDICATION},
    )
    add_chunks(db, embedder, entity=setup.entity, document_name="billing-policy.pdf", pages={2: BILLING})
    add_chunks(
        db, embedder, entity=setup.entity, document_name="exercise-guide.pdf", pages={4: WALKING_ENTITY}
    )
    add_chunks(
        db,
        embedder,
        entity=setup.entity,
        department=setup.department,
        document_name="exercise-guide.pdf",
        pages={7: WALKING_DEPARTMENT},
    )
