"""Activation exports: CRM fields, email lists and ad-platform customer-match files.

Pure Python, no dbt: the dbt project calls :func:`export_all` with the segmented customers,
the restricted contact details valid at the as-of date and the suppression list.

* :mod:`~custseg.activation.identifiers`: email and phone normalisation (E.164), hashing
  with each platform's rules.
* :mod:`~custseg.activation.audience`: control groups, suppression, consent and the
  per-destination frames.
* :mod:`~custseg.activation.files`: atomic CSV and manifest writing.
* :mod:`~custseg.activation.export`: the streaming, batch-wise export of every destination.
"""

from custseg.activation.audience import (
    CRM_COLUMNS,
    DEFAULT_CONTROL_SHARE,
    EMAIL_COLUMNS,
    GOOGLE_COLUMNS,
    META_COLUMNS,
    PreparedBatch,
    Suppression,
    apply_consent_and_suppression,
    build_ads_exports,
    build_crm_export,
    build_email_lists,
    control_group_mask,
    is_in_control_group,
    prepare_batch,
)
from custseg.activation.export import DEFAULT_MIN_AUDIENCE, attach_contacts, export_all
from custseg.activation.files import (
    AtomicCsvWriter,
    ExportFile,
    remove_stale_files,
    write_atomic_csv,
    write_manifest,
)
from custseg.activation.identifiers import (
    CALLING_CODES,
    google_phone_hash,
    meta_phone_hash,
    normalize_email,
    sha256_hex,
    to_e164,
)

__all__ = [
    "CALLING_CODES",
    "CRM_COLUMNS",
    "DEFAULT_CONTROL_SHARE",
    "DEFAULT_MIN_AUDIENCE",
    "EMAIL_COLUMNS",
    "GOOGLE_COLUMNS",
    "META_COLUMNS",
    "AtomicCsvWriter",
    "ExportFile",
    "PreparedBatch",
    "Suppression",
    "apply_consent_and_suppression",
    "attach_contacts",
    "build_ads_exports",
    "build_crm_export",
    "build_email_lists",
    "control_group_mask",
    "export_all",
    "google_phone_hash",
    "is_in_control_group",
    "meta_phone_hash",
    "normalize_email",
    "prepare_batch",
    "remove_stale_files",
    "sha256_hex",
    "to_e164",
    "write_atomic_csv",
    "write_manifest",
]
