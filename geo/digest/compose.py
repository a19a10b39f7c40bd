"""One digest message: an Indonesian subject, a plain-text body and its HTML alternative (escaped by
Jinja's autoescape), the RFC 8058 one-click unsubscribe headers. Counts and links only (items.py)."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from jinja2 import Environment

from geo import clock
from geo.digest.items import DigestLine, Recipient
from geo.digest.prefs import FREQUENCIES, WEEKDAYS
from geo.formatting import long_date, number

PREFERENCES_PATH = "/account/notifications"

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)  # noqa: S701 - autoescape is on
_ENV.filters["number"] = number
_HTML = _ENV.from_string("""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: Arial, sans-serif; color: #212529; max-width: 640px">
<h1 style="font-size: 18px; color: #14532d">{{ heading }}</h1>
<p>{{ intro }}</p>
<table style="border-collapse: collapse; width: 100%">
{% for line in lines %}
<tr style="border-bottom: 1px solid #dee2e6">
<td style="padding: 6px 4px"><a href="{{ line.url }}">{{ line.label }}</a></td>
<td style="padding: 6px 4px; text-align: right; white-space: nowrap"><strong>{{ line.count | number }}</strong> {{ line.unit }}</td>
</tr>
{% endfor %}
</table>
<p style="font-size: 13px; color: #6c757d">{{ privacy }}</p>
<p style="font-size: 13px; color: #6c757d">{{ why }}
<a href="{{ preferences_url }}">Ubah pengaturan</a> ·
<a href="{{ unsubscribe_url }}">Berhenti berlangganan</a></p>
</body></html>
""")


def _absolute(public_url: str, path: str) -> str:
    # Only a path on this site is ever linked (the items' links are paths).
    return public_url + path if path.startswith("/") and not path.startswith("//") else public_url + "/"


def schedule_phrase(recipient: Recipient) -> str:
    if recipient.frequency == "weekly":
        return f"mingguan setiap hari {WEEKDAYS[recipient.weekday]}"
    return FREQUENCIES[recipient.frequency].lower()


def compose(recipient: Recipient, lines: list[DigestLine], today: date, *, public_url: str, sender: str,
            unsubscribe_url: str) -> EmailMessage:
    kinds = len(lines)  # no grand total: the kinds overlap (the 90-day list holds the 30-day one)
    subject = f"Pantau: {kinds} hal perlu perhatian ({long_date(today)})"
    heading = f"Perlu perhatian, {long_date(today)}"
    scope = "seluruh provinsi" if recipient.regencies is None else "wilayah " + ", ".join(recipient.regencies)
    intro = (f"Ringkasan untuk akun {recipient.username} ({scope}): {kinds} hal perlu perhatian. "
             "Buka tautan untuk melihat rinciannya di Pantau (perlu masuk).")
    privacy = ("E-mail ini hanya memuat jumlah dan tautan: tidak ada nama atau data pribadi yang dikirim "
               "lewat e-mail. Rinciannya hanya dapat dilihat di Pantau sesuai hak akses Anda.")
    why = f"Anda menerima ringkasan {schedule_phrase(recipient)} karena memilihnya di Pantau."
    preferences_url = _absolute(public_url, PREFERENCES_PATH)
    shown = [{"label": ln.label, "count": ln.count, "unit": ln.unit, "url": _absolute(public_url, ln.link)}
             for ln in lines]

    text = [heading, "", intro, ""]
    for line in shown:
        text += [f"- {line['label']}: {number(line['count'])} {line['unit']}", f"  {line['url']}"]
    text += ["", privacy, "", why, f"Ubah pengaturan: {preferences_url}",
             f"Berhenti berlangganan: {unsubscribe_url}", ""]

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient.email
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid("digest", domain=urlsplit(public_url).hostname or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    # RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs to the link.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join(text))
    message.add_alternative(_HTML.render(subject=subject, heading=heading, intro=intro, lines=shown, privacy=privacy,
                                         why=why, preferences_url=preferences_url, unsubscribe_url=unsubscribe_url),
                            subtype="html")
    return message
