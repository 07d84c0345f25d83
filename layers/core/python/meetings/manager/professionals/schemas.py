"""Professionals and their links to organizations, as the API reads and writes them."""

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

from meetings.validation import EmailAddress, PhoneNumber, RequestModel, ResponseModel, RowId

ProfessionalName = Annotated[str, Field(min_length=1, max_length=200)]
ExternalId = Annotated[str, Field(min_length=1, max_length=254)]
LicenseNumber = Annotated[str, Field(min_length=1, max_length=100)]

PROFESSIONAL_EXAMPLE = {
    "name": "Dr. Ana Souza",
    "email": "ana.souza@clinic.example.com",
    "phone_number": "+5511988887777",
    "external_id": "hr-000123",
    "license_number": "CRM-SP 123456",
}
TIMESTAMPS_EXAMPLE = {"created_at": "2026-11-26T04:00:00Z", "updated_at": "2026-11-26T04:00:00Z"}


class ProfessionalOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 9, **PROFESSIONAL_EXAMPLE, "active": True, **TIMESTAMPS_EXAMPLE}]
        }
    )

    id: int
    name: str
    email: str | None
    phone_number: str
    external_id: str | None
    license_number: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class ProfessionalCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [PROFESSIONAL_EXAMPLE]})

    name: ProfessionalName
    email: Annotated[EmailAddress, Field(max_length=254)] | None = None
    phone_number: PhoneNumber
    external_id: ExternalId | None = None
    license_number: LicenseNumber | None = None


class ProfessionalUpdate(RequestModel):
    """Only the fields sent change; email, external_id and license_number may be null to clear them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone_number": "+5511912345678"}]})

    name: ProfessionalName = None
    email: Annotated[EmailAddress, Field(max_length=254)] | None = None
    phone_number: PhoneNumber = None
    external_id: ExternalId | None = None
    license_number: LicenseNumber | None = None


class ProfessionalLinkOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "professional_id": 9,
                    "entity_id": 3,
                    "department_id": 5,
                    "active": True,
                    **TIMESTAMPS_EXAMPLE,
                }
            ]
        }
    )

    id: int
    professional_id: int
    entity_id: RowId
    department_id: int | None
    active: bool
    created_at: datetime
    updated_at: datetime


class ProfessionalLinkCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"entity_id": 3, "department_id": 5}, {"entity_id": 3}]}
    )

    entity_id: RowId
    department_id: RowId | None = None
