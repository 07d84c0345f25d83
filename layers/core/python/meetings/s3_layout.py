"""Where objects live in the platform's buckets; shared by the jobs and the infrastructure that scopes
notifications, permissions and lifecycle rules to them."""

RECORDINGS_PREFIX = "recordings/"
KB_PREFIX = "kb/"
# Tag the finalizer puts on a recording (its retention in days); lifecycle rules match it.
RETENTION_TAG = "retention-days"
