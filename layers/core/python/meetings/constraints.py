"""SQL fragments for rules the database holds, shared by models and migrations."""

E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
# bcrypt modular-crypt hash with a cost factor of 10 or more.
BCRYPT_PATTERN = r"^\$2[aby]\$(1[0-9]|2[0-9]|3[01])\$[./A-Za-z0-9]{53}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SHA256_HEX_PATTERN = r"^[0-9a-f]{64}$"

INSTRUCTIONS_MAX_LENGTH = 8000
CUSTOM_PROMPT_MAX_LENGTH = 4000
CHUNK_TEXT_MAX_LENGTH = 2000
MAX_PARTICIPANTS_RANGE = (2, 1000)
RETENTION_DAYS_CHOICES = (30, 90, 365)


def matches(column: str, pattern: str) -> str:
    return f"{column} ~ '{pattern}'"


def max_length(column: str, limit: int) -> str:
    return f"{column} IS NULL OR char_length({column}) <= {limit}"


def one_of(column: str, values) -> str:
    rendered = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
    return f"{column} IN ({rendered})"
