"""Input checks shared by account mutations; each returns a FieldProblem or None."""

from __future__ import annotations

import re
from datetime import date

from email_validator import EmailNotValidError, validate_email

from reelgraph.auth.passwords import password_problem
from reelgraph.errors import FieldProblem, UserErrorCode

MAX_NAME_LENGTH = 100
LOCALE_RE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
REGION_RE = re.compile(r"^[A-Z]{2}$")
EARLIEST_DATE_OF_BIRTH = date(1900, 1, 1)


def normalise_email(raw: str, *field: str) -> tuple[str | None, FieldProblem | None]:
    try:
        # Syntax only: no DNS lookups from request handling.
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return None, FieldProblem(UserErrorCode.INVALID_EMAIL, f"Invalid email address: {exc}", field)
    return result.normalized.lower(), None


def check_password(password: str, *field: str) -> FieldProblem | None:
    problem = password_problem(password)
    return FieldProblem(UserErrorCode.WEAK_PASSWORD, problem, field) if problem else None


def check_name(name: str, *field: str) -> FieldProblem | None:
    stripped = name.strip()
    if not stripped:
        return FieldProblem(UserErrorCode.INVALID_NAME, "Name must not be empty.", field)
    if len(stripped) > MAX_NAME_LENGTH:
        return FieldProblem(
            UserErrorCode.NAME_TOO_LONG, f"Name must be at most {MAX_NAME_LENGTH} characters.", field
        )
    return None


def check_locale(locale: str, *field: str) -> FieldProblem | None:
    if not LOCALE_RE.match(locale):
        return FieldProblem(UserErrorCode.INVALID_LOCALE, "Locale must look like 'en-US' or 'fr-FR'.", field)
    return None


def check_region(region: str, *field: str) -> FieldProblem | None:
    if not REGION_RE.match(region):
        return FieldProblem(
            UserErrorCode.INVALID_REGION, "Region must be an ISO 3166-1 code such as 'US'.", field
        )
    return None


def check_date_of_birth(date_of_birth: date, today: date, *field: str) -> FieldProblem | None:
    if not EARLIEST_DATE_OF_BIRTH <= date_of_birth <= today:
        return FieldProblem(
            UserErrorCode.INVALID_DATE_OF_BIRTH,
            f"Date of birth must be between {EARLIEST_DATE_OF_BIRTH.isoformat()} and today.",
            field,
        )
    return None
