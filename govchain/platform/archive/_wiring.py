"""Building the archive service from the platform settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from govchain.platform.anchoring.service import AnchoringService
from govchain.platform.archive.service import ArchivePolicy, ArchiveService
from govchain.platform.settings import PlatformSettings


def open_archive(settings: PlatformSettings, anchoring: AnchoringService) -> ArchiveService:
    """The archive on ``<data_dir>/archive``, anchoring through ``anchoring``."""
    return ArchiveService(
        Path(settings.archive_dir),
        anchoring,
        city=settings.archive_city,
        policy=ArchivePolicy(
            evidence_algorithm=settings.archive_evidence_algorithm,
            fixity_interval=timedelta(days=settings.archive_fixity_interval_days),
            time_stamp_renewal_after=timedelta(days=settings.archive_time_stamp_renewal_days),
            max_sip_bytes=settings.archive_max_sip_bytes,
        ),
    )
