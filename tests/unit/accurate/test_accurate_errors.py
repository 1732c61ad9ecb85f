"""Accurate's answers map to typed errors: what to retry, what to heal, what to hand to a person."""

from __future__ import annotations

from omsync.accurate.auth import sign
from omsync.accurate.errors import (
    DuplicateNumber,
    MasterNotFound,
    NotFound,
    RateLimited,
    Rejected,
    SessionExpired,
    TokenExpired,
    classify,
)
from omsync.errors import PermanentError, RetryableError


def test_the_rate_limit_text_is_retryable() -> None:
    error = classify(
        [
            "Jumlah request API melebihi toleransi yang diperbolehkan. Batas maksimum yang diperbolehkan "
            "yaitu 8 proses paralel per Token dan 8 request/detik."
        ]
    )
    assert isinstance(error, RateLimited) and isinstance(error, RetryableError)


def test_session_and_token_expiry_are_told_apart_by_text() -> None:
    assert isinstance(classify(["Data Session Key tidak tepat"]), SessionExpired)
    assert isinstance(classify(["invalid_token", "Invalid access token"]), TokenExpired)


def test_a_duplicate_names_the_number() -> None:
    error = classify(['Sudah ada data lain dengan No Form # Faktur Penjualan "TKP-1001"'])
    assert isinstance(error, DuplicateNumber) and isinstance(error, PermanentError)
    assert error.number == "TKP-1001"


def test_a_missing_master_names_its_kind_and_key() -> None:
    error = classify(['Pelanggan "C-9" tidak ditemukan atau sudah dihapus'])
    assert isinstance(error, MasterNotFound)
    assert (error.kind, error.key) == ("Pelanggan", "C-9")


def test_not_found_and_other_refusals() -> None:
    assert isinstance(classify(["Faktur Penjualan tidak tepat"]), NotFound)
    rejected = classify(["Jurnal tidak seimbang"])
    assert isinstance(rejected, Rejected) and not rejected.retryable


def test_the_api_signature_is_lowercase_hex_hmac_sha256_of_the_timestamp() -> None:
    """Known HMAC-SHA256 vector (key "key"), so the test does not restate the implementation."""
    message = "The quick brown fox jumps over the lazy dog"
    assert sign(message, "key") == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
