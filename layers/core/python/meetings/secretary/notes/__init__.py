"""Visit notes: AI drafts with evidence, review, signing and FHIR export."""
