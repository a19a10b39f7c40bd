"""Inspection photos: checked by their content (Pillow), re-encoded without metadata, stored with
their inspection (geo/migrations/0106_inspection_photos.sql) and read back within the user's scope.

What is stored is only the re-encoded copy: EXIF (GPS position, camera, time), XMP and text chunks
are not carried over, so whoever may download a photo gets no location metadata. The picture is
turned upright first (EXIF orientation), since the orientation tag goes with the rest.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from geo.db import Connection, transaction

MAX_PIXELS = 40_000_000  # beyond this a "photo" is a decompression bomb, not a camera picture
MAX_PHOTOS = 10  # per inspection form
_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"mif1", b"msf1", b"avif")


class PhotoError(ValueError):
    """A file that is not an acceptable photo; the message is for the user (Bahasa Indonesia)."""


@dataclass(frozen=True)
class Photo:
    media_type: str
    width: int
    height: int
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def extension(media_type: str) -> str:
    return next(ext for mt, ext in _FORMATS.values() if mt == media_type)


def clean(data: bytes, max_bytes: int) -> Photo:
    """The photo re-encoded without metadata; PhotoError when it is too large, not a JPEG/PNG by its
    content (whatever its name or declared type says), or unreadable."""
    if len(data) > max_bytes:
        raise PhotoError(f"foto lebih dari {max_bytes // (1024 * 1024)} MB (file too large)")
    if not data:
        raise PhotoError("berkas kosong (empty file)")
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        raise PhotoError("format HEIC/HEIF belum didukung; kirim foto sebagai JPEG atau PNG "
                         "(HEIC not supported: send JPEG or PNG)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format not in _FORMATS:
                    raise PhotoError("bukan foto JPEG atau PNG (not a JPEG or PNG image)")
                if img.width * img.height > MAX_PIXELS:
                    raise PhotoError("ukuran gambar terlalu besar (image dimensions too large)")
                media_type, _ = _FORMATS[img.format]
                upright = ImageOps.exif_transpose(img)
                return _encode(upright, img.format, media_type)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise PhotoError("bukan foto JPEG atau PNG yang dapat dibaca (not a readable JPEG or PNG image)") from exc


def _encode(img: Image.Image, fmt: str, media_type: str) -> Photo:
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        # No exif=, no xmp=, no comment: Pillow writes only the pixels (and nothing of img.info).
        img.save(out, "JPEG", quality=88, optimize=True)
    else:
        if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            img = img.convert("RGBA")
        img.save(out, "PNG", optimize=True)
    return Photo(media_type, img.width, img.height, out.getvalue())


def store(cur, inspection_id: int, photos: list[Photo], username: str) -> list[int]:
    """Insert the photos of an inspection in the caller's transaction; returns their ids."""
    ids = []
    for photo in photos:
        cur.execute(
            """INSERT INTO inspection_photos (inspection_id, media_type, width, height, sha256, content, uploaded_by)
               VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (inspection_id, photo.media_type, photo.width, photo.height, photo.sha256, photo.content, username),
        )
        ids.append(cur.fetchone()[0])
    return ids


_SCOPE = "(%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))"


def listing(conn: Connection, inspection_id: int, regencies) -> list[dict]:
    """The photos of an inspection (without content), none when it is outside `regencies`."""
    with transaction(conn) as cur:
        cur.execute(
            f"""SELECT p.id, p.media_type, p.width, p.height, length(p.content) AS size, p.created_at
                  FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id
                  JOIN companies c ON c.id = i.company_id
                 WHERE p.inspection_id = %(id)s AND {_SCOPE} ORDER BY p.id""",  # noqa: S608 - fixed text
            {"id": inspection_id, "scope": list(regencies) if regencies is not None else None},
        )
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def fetch(conn: Connection, inspection_id: int, photo_id: int, regencies) -> tuple[str, bytes] | None:
    """(media type, bytes) of one photo; None when absent or outside `regencies` (the same answer)."""
    with transaction(conn) as cur:
        cur.execute(
            f"""SELECT p.media_type, p.content
                  FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id
                  JOIN companies c ON c.id = i.company_id
                 WHERE p.id = %(photo)s AND p.inspection_id = %(id)s AND {_SCOPE}""",  # noqa: S608 - fixed text
            {"photo": photo_id, "id": inspection_id, "scope": list(regencies) if regencies is not None else None},
        )
        row = cur.fetchone()
    return (row[0], bytes(row[1])) if row else None


def by_inspection(conn: Connection, company_id: int) -> dict[int, list[int]]:
    """{inspection id: photo ids} of a company's inspections. The caller has checked the company's scope."""
    with transaction(conn) as cur:
        cur.execute(
            """SELECT p.inspection_id, array_agg(p.id ORDER BY p.id)
                 FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id
                WHERE i.company_id = %s GROUP BY p.inspection_id""",
            (company_id,),
        )
        return dict(cur.fetchall())
