"""Activation exports: CRM fields, email lists and ad-platform customer-match files.

Pure Python, no dbt. Who may be exported where (suppression, consent, control group) is
decided in SQL, in ``int_activation_audience``; the dbt project streams that audience into
:func:`export_all`, which only normalises, hashes and writes.

* :mod:`~custseg.activation.identifiers`: email and phone normalisation (E.164), hashing
  with each platform's rules.
* :mod:`~custseg.activation.audience`: the per-destination frames of one batch.
* :mod:`~custseg.activation.files`: atomic CSV and manifest writing.
* :mod:`~custseg.activation.export`: the streaming, batch-wise export of every destination.
"""

from custseg.activation.audience import (
    CRM_COLUMNS,
    EMAIL_COLUMNS,
    GOOGLE_COLUMNS,
    META_COLUMNS,
    build_ads_exports,
    build_crm_export,
    build_email_lists,
)
from custseg.activation.export import export_all, resolve_min_audience
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
    "EMAIL_COLUMNS",
    "GOOGLE_COLUMNS",
    "META_COLUMNS",
    "AtomicCsvWriter",
    "ExportFile",
    "build_ads_exports",
    "build_crm_export",
    "build_email_lists",
    "export_all",
    "google_phone_hash",
    "meta_phone_hash",
    "normalize_email",
    "remove_stale_files",
    "resolve_min_audience",
    "sha256_hex",
    "to_e164",
    "write_atomic_csv",
    "write_manifest",
]
