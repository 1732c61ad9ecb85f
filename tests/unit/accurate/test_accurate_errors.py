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


def test_an_error_text_keeps_accurates_prose_and_the_codes_it_quotes_but_not_other_values() -> None:
    refusal = classify(['Kuantitas Barang "TOPI-BASEBALL" di Gudang "Gudang Utama" tidak mencukupi'])
    assert str(refusal) == 'Kuantitas Barang "TOPI-BASEBALL" di Gudang "…" tidak mencukupi'
    buyer = classify(['Nama Pelanggan "Siti Rahmawati" (siti@contoh.id) telepon "0812-5550-1234" tidak valid'])
    assert str(buyer) == 'Nama Pelanggan "…" (…@…) telepon "#" tidak valid'
    locked = classify(["Tanggal transaksi tidak dapat lebih kecil atau sama dengan tanggal kunci periode 31/12/2025"])
    assert str(locked).endswith("tanggal kunci periode 31/12/2025")  # a date is not a run of 5+ digits
    assert buyer.messages[0].startswith('Nama Pelanggan "Siti Rahmawati"')  # the raw text stays for code
