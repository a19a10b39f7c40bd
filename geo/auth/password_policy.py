"""What a new password must not be: blank or short once leading and trailing spaces are stripped, the
user name (or containing it, or it reversed), one character or a short piece repeated, a sequence or
keyboard walk, or a common password, also behind digits and symbols and with look-alike characters
(@ for a, 0 for o) swapped back.

Common passwords: the 30,000 most common of zxcvbn's frequency list (MIT, shipped in the package; no
network at run time) and a few words anyone here would try first (the service, the province, the
agencies, common Indonesian ones). Every message is Indonesian with English in brackets, and never
repeats the password.
"""

from __future__ import annotations

import re
from functools import lru_cache

from geo.auth.passwords import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 1024  # a bound for the checks and the hash, far above any passphrase

LOCAL_WORDS = frozenset({
    "pantau", "kalteng", "kalimantan", "kalimantantengah", "palangkaraya", "sampit", "kotim", "kobar", "indonesia",
    "kesbangpol", "imigrasi", "polda", "disnakertrans", "kemendagri", "pemkab", "pora", "timpora",
    "katasandi", "sandi", "rahasia", "masuk", "admin", "administrator", "sayang", "sayangku", "cinta", "bismillah",
    "alhamdulillah", "merdeka", "garuda", "pancasila", "bangsa", "jakarta", "selamat", "semangat",
})

SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz", "0123456789",
    "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertyuiopasdfghjklzxcvbnm", "qwertzuiop", "azertyuiop",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp",
)

_LOOK_ALIKES = str.maketrans({"@": "a", "4": "a", "8": "b", "3": "e", "9": "g", "1": "i", "!": "i",
                              "0": "o", "$": "s", "5": "s", "7": "t", "+": "t"})
_NOT_LETTERS_AT_ENDS = re.compile(r"^[^a-z]+|[^a-z]+$")
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_REPEATED = re.compile(r"(.+?)\1+", re.DOTALL)

BLANK = "kata sandi tidak boleh hanya spasi (password must not be only whitespace)"
SHORT = (f"kata sandi minimal {MIN_LENGTH} karakter, tanpa spasi di awal dan akhir "
         f"(password must have at least {MIN_LENGTH} characters besides leading and trailing spaces)")
LONG = f"kata sandi paling banyak {MAX_LENGTH} karakter (password must have at most {MAX_LENGTH} characters)"
USER_NAME = "kata sandi tidak boleh memuat nama pengguna (password must not contain the user name)"
TRIVIAL = ("kata sandi terlalu mudah ditebak: karakter berulang atau berurutan "
           "(password is too easy to guess: repeated or sequential characters)")
COMMON = "kata sandi ini termasuk kata sandi umum dan mudah ditebak (password is a common one, easy to guess)"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # loaded on the first check only

    return frozenset(FREQUENCY_LISTS["passwords"]) | LOCAL_WORDS


def _is_sequence(text: str) -> bool:
    for sequence in SEQUENCES:
        run = sequence * (len(text) // len(sequence) + 2)
        if text in run or text in run[::-1]:
            return True
    return False


def _is_trivial(text: str) -> bool:
    repeated = _REPEATED.fullmatch(text)
    return (len(set(text)) < 4 or (repeated is not None and len(repeated.group(1)) < MIN_LENGTH)
            or _is_sequence(text) or _is_sequence(_NOT_ALNUM.sub("", text)))


def _candidates(lowered: str) -> set[str]:
    """The password and what an attacker's rules would reduce it to: digits and symbols at either end
    removed (Password2026!), look-alikes swapped back (P@ssw0rd), separators dropped (pass-word)."""
    core = _NOT_LETTERS_AT_ENDS.sub("", lowered)
    swapped = core.translate(_LOOK_ALIKES)
    return {c for c in (lowered, core, swapped, _NOT_ALNUM.sub("", swapped)) if c}


def check_password(password: str, username: str) -> None:
    """Raise WeakPassword (a ValueError) with the reason when `password` may not be used by `username`."""
    stripped = password.strip()
    if not stripped:
        raise WeakPassword(BLANK)
    if len(stripped) < MIN_LENGTH:
        raise WeakPassword(SHORT)
    if len(password) > MAX_LENGTH:
        raise WeakPassword(LONG)
    lowered = stripped.lower()
    name = _NOT_ALNUM.sub("", username.lower())
    plain = {_NOT_ALNUM.sub("", lowered), _NOT_ALNUM.sub("", lowered.translate(_LOOK_ALIKES))}
    if lowered == username.lower() or (len(name) >= 4 and any(name in p or name[::-1] in p for p in plain)):
        raise WeakPassword(USER_NAME)
    if _is_trivial(lowered):
        raise WeakPassword(TRIVIAL)
    if _candidates(lowered) & common_passwords():
        raise WeakPassword(COMMON)
